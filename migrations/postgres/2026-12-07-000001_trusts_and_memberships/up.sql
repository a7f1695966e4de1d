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
    CHECK (urn ~ '^[0-9]{6}$');
CREATE UNIQUE INDEX schools_urn ON schools (urn);
ALTER TABLE schools ADD COLUMN trust_id TEXT REFERENCES trusts (id);
CREATE INDEX schools_trust ON schools (trust_id);

-- A membership is a school and the roles held there: the key gains the
-- school, so one account holds roles in several. Every existing row keeps
-- its school (already on each row).
ALTER TABLE user_roles DROP CONSTRAINT user_roles_pkey;
ALTER TABLE user_roles ADD PRIMARY KEY (user_id, school_id, role);

-- users.school_id stays, as the home school: the school a sign-in starts
-- in. sessions.school_id is now the school being worked in, which a person
-- with several memberships changes from the header.
