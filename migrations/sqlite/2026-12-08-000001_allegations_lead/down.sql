-- Going back would show allegations about the headteacher to the
-- headteacher: refused while any exist (the CHECK fails on a count above 0).
CREATE TEMP TABLE allegations_left (n INTEGER CHECK (n = 0));
INSERT INTO allegations_left SELECT count(*) FROM incidents WHERE about_headteacher;
DROP TABLE allegations_left;
ALTER TABLE incidents DROP COLUMN about_headteacher;

DELETE FROM user_roles WHERE role = 'allegations_lead';
CREATE TABLE user_roles_old (
    user_id TEXT NOT NULL REFERENCES users (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    role TEXT NOT NULL CHECK (role IN ('staff', 'online_safety_lead', 'dsl', 'headteacher', 'dpo', 'governor', 'admin', 'leadership')),
    PRIMARY KEY (user_id, school_id, role)
);
INSERT INTO user_roles_old (user_id, school_id, role) SELECT user_id, school_id, role FROM user_roles;
DROP TABLE user_roles;
ALTER TABLE user_roles_old RENAME TO user_roles;
CREATE INDEX user_roles_school_role ON user_roles (school_id, role);
