-- Trusts, schools' DfE numbers, and memberships: one account, roles in any
-- number of schools.

CREATE TABLE trusts (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    created_at TIMESTAMP NOT NULL
);
-- "Oak Trust" and "oak trust" are one trust.
CREATE UNIQUE INDEX trusts_name ON trusts (lower(name));

-- The URN is the DfE's unique reference number: six digits. Schools made
-- before this (at setup, or by the first `safelog user add`) have none and
-- are asked for it on their settings page: a made-up number could later
-- clash with the real school that holds it, so none is invented here.
ALTER TABLE schools ADD COLUMN urn TEXT
    CHECK (urn GLOB '[0-9][0-9][0-9][0-9][0-9][0-9]');
CREATE UNIQUE INDEX schools_urn ON schools (urn);
ALTER TABLE schools ADD COLUMN trust_id TEXT REFERENCES trusts (id);
CREATE INDEX schools_trust ON schools (trust_id);

-- A membership is a school and the roles held there: the key gains the
-- school, so one account holds roles in several. Every existing row keeps
-- its school (already on each row). SQLite cannot change a primary key in
-- place, so the table is rebuilt; nothing references user_roles.
CREATE TABLE user_roles_new (
    user_id TEXT NOT NULL REFERENCES users (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    role TEXT NOT NULL CHECK (role IN ('staff', 'online_safety_lead', 'dsl', 'headteacher', 'dpo', 'governor', 'admin', 'leadership')),
    PRIMARY KEY (user_id, school_id, role)
);
INSERT INTO user_roles_new (user_id, school_id, role) SELECT user_id, school_id, role FROM user_roles;
DROP TABLE user_roles;
ALTER TABLE user_roles_new RENAME TO user_roles;
CREATE INDEX user_roles_school_role ON user_roles (school_id, role);

-- users.school_id stays, as the home school: the school a sign-in starts
-- in. sessions.school_id is now the school being worked in, which a person
-- with several memberships changes from the header.
