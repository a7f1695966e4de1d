-- Trust roles: a person who works across every school of a trust. For now
-- only the trust safeguarding lead, who reads what a DSL reads in each
-- school of the trust and sees the trust dashboard (/trust). It is not a
-- membership of any school: nobody holding it is sent a school's alerts.
CREATE TABLE trust_roles (
    user_id TEXT NOT NULL REFERENCES users (id),
    trust_id TEXT NOT NULL REFERENCES trusts (id),
    role TEXT NOT NULL CHECK (role IN ('trust_safeguarding_lead')),
    PRIMARY KEY (user_id, trust_id, role)
);
CREATE INDEX trust_roles_trust ON trust_roles (trust_id);
