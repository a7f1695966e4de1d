-- Back to one school per account: roles outside the home school go, and
-- every session returns to its account's home school.
DELETE FROM user_roles
    WHERE school_id <> (SELECT users.school_id FROM users WHERE users.id = user_roles.user_id);
CREATE TABLE user_roles_old (
    user_id TEXT NOT NULL REFERENCES users (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    role TEXT NOT NULL CHECK (role IN ('staff', 'online_safety_lead', 'dsl', 'headteacher', 'dpo', 'governor', 'admin', 'leadership')),
    PRIMARY KEY (user_id, role)
);
INSERT INTO user_roles_old (user_id, school_id, role) SELECT user_id, school_id, role FROM user_roles;
DROP TABLE user_roles;
ALTER TABLE user_roles_old RENAME TO user_roles;
CREATE INDEX user_roles_school_role ON user_roles (school_id, role);
UPDATE sessions SET school_id = (SELECT users.school_id FROM users WHERE users.id = sessions.user_id);

DROP INDEX schools_trust;
ALTER TABLE schools DROP COLUMN trust_id;
DROP INDEX schools_urn;
ALTER TABLE schools DROP COLUMN urn;
DROP INDEX trusts_name;
DROP TABLE trusts;
