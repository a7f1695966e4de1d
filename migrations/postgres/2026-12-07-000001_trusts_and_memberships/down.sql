-- Back to one school per account: roles outside the home school go, and
-- every session returns to its account's home school.
DELETE FROM user_roles
    WHERE school_id <> (SELECT users.school_id FROM users WHERE users.id = user_roles.user_id);
ALTER TABLE user_roles DROP CONSTRAINT user_roles_pkey;
ALTER TABLE user_roles ADD PRIMARY KEY (user_id, role);
UPDATE sessions SET school_id = (SELECT users.school_id FROM users WHERE users.id = sessions.user_id);

DROP INDEX schools_trust;
ALTER TABLE schools DROP COLUMN trust_id;
DROP INDEX schools_urn;
ALTER TABLE schools DROP COLUMN urn;
DROP INDEX trusts_name;
DROP TABLE trusts;
