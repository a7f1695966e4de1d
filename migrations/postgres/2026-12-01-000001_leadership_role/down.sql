-- The leadership role goes.
DELETE FROM user_roles WHERE role = 'leadership';
ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_check
    CHECK (role IN ('staff', 'online_safety_lead', 'dsl', 'headteacher', 'dpo', 'governor', 'admin'));
