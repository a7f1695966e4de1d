-- Going back would show allegations about the headteacher to the
-- headteacher: refused while any exist.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM incidents WHERE about_headteacher) THEN
        RAISE EXCEPTION 'allegations about the headteacher exist: going back would show them to the headteacher';
    END IF;
END $$;
ALTER TABLE incidents DROP COLUMN about_headteacher;

DELETE FROM user_roles WHERE role = 'allegations_lead';
ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_check
    CHECK (role IN ('staff', 'online_safety_lead', 'dsl', 'headteacher', 'dpo', 'governor', 'admin', 'leadership'));
