-- Allegations about the headteacher (KCSIE Part 4) go to the school's
-- allegations lead (the chair of governors; in a trust often its CEO), and
-- the headteacher must not read them.

ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_check
    CHECK (role IN ('staff', 'online_safety_lead', 'dsl', 'headteacher', 'dpo', 'governor', 'admin', 'leadership', 'allegations_lead'));

-- The mark itself. incidents.owner_role keeps the category's owner
-- ('headteacher'), as on SQLite, where widening its CHECK would mean
-- rebuilding incidents: one meaning on both backends. The application reads
-- the owner as the allegations lead whenever this is set (Incident::owner).
ALTER TABLE incidents ADD COLUMN about_headteacher BOOLEAN NOT NULL DEFAULT FALSE;
