DELETE FROM trust_roles WHERE role <> 'trust_safeguarding_lead';
CREATE TABLE trust_roles_old (
    user_id TEXT NOT NULL REFERENCES users (id),
    trust_id TEXT NOT NULL REFERENCES trusts (id),
    role TEXT NOT NULL CHECK (role IN ('trust_safeguarding_lead')),
    PRIMARY KEY (user_id, trust_id, role)
);
INSERT INTO trust_roles_old (user_id, trust_id, role)
    SELECT user_id, trust_id, role FROM trust_roles;
DROP TABLE trust_roles;
ALTER TABLE trust_roles_old RENAME TO trust_roles;
CREATE INDEX trust_roles_trust ON trust_roles (trust_id);
