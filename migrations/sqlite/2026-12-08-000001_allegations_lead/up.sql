-- Allegations about the headteacher (KCSIE Part 4) go to the school's
-- allegations lead (the chair of governors; in a trust often its CEO), and
-- the headteacher must not read them.

-- SQLite cannot change a CHECK in place: user_roles is rebuilt, as before.
-- Nothing references it.
CREATE TABLE user_roles_new (
    user_id TEXT NOT NULL REFERENCES users (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    role TEXT NOT NULL CHECK (role IN ('staff', 'online_safety_lead', 'dsl', 'headteacher', 'dpo', 'governor', 'admin', 'leadership', 'allegations_lead')),
    PRIMARY KEY (user_id, school_id, role)
);
INSERT INTO user_roles_new (user_id, school_id, role) SELECT user_id, school_id, role FROM user_roles;
DROP TABLE user_roles;
ALTER TABLE user_roles_new RENAME TO user_roles;
CREATE INDEX user_roles_school_role ON user_roles (school_id, role);

-- The mark itself. incidents.owner_role keeps the category's owner
-- ('headteacher'): widening its CHECK would mean rebuilding incidents,
-- which six tables reference. The application reads the owner as the
-- allegations lead whenever this is set (Incident::owner).
ALTER TABLE incidents ADD COLUMN about_headteacher BOOLEAN NOT NULL DEFAULT FALSE;
