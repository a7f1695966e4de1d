-- The leadership role goes.
DELETE FROM user_roles WHERE role = 'leadership';
CREATE TABLE user_roles_old (
    user_id TEXT NOT NULL REFERENCES users(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    role TEXT NOT NULL CHECK (role IN ('staff', 'online_safety_lead', 'dsl', 'headteacher', 'dpo', 'governor', 'admin')),
    PRIMARY KEY (user_id, role)
);
INSERT INTO user_roles_old (user_id, school_id, role) SELECT user_id, school_id, role FROM user_roles;
DROP TABLE user_roles;
ALTER TABLE user_roles_old RENAME TO user_roles;
CREATE INDEX user_roles_school_role ON user_roles (school_id, role);
