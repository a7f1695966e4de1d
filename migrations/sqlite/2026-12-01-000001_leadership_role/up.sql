-- The leadership role: a senior leader who acknowledges for the
-- leadership group.

-- SQLite cannot change a CHECK in place: the table is rebuilt. Nothing
-- references user_roles, so dropping the old one is safe.
CREATE TABLE user_roles_new (
    user_id TEXT NOT NULL REFERENCES users(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    role TEXT NOT NULL CHECK (role IN ('staff', 'online_safety_lead', 'dsl', 'headteacher', 'dpo', 'governor', 'admin', 'leadership')),
    PRIMARY KEY (user_id, role)
);
INSERT INTO user_roles_new (user_id, school_id, role) SELECT user_id, school_id, role FROM user_roles;
DROP TABLE user_roles;
ALTER TABLE user_roles_new RENAME TO user_roles;
CREATE INDEX user_roles_school_role ON user_roles (school_id, role);
