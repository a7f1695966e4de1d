-- Two more trust roles: the trust's administrator (its schools, shared
-- categories and trust roles; no incident content) and its trustees (the
-- trust's published termly reports only); and the allegations lead may be
-- held across a trust (a trust's CEO, for allegations about any of its
-- headteachers). SQLite cannot change a CHECK in
-- place, so the table is rebuilt with its rows.
CREATE TABLE trust_roles_new (
    user_id TEXT NOT NULL REFERENCES users (id),
    trust_id TEXT NOT NULL REFERENCES trusts (id),
    role TEXT NOT NULL CHECK (role IN ('trust_safeguarding_lead', 'trust_admin', 'trustee', 'allegations_lead')),
    PRIMARY KEY (user_id, trust_id, role)
);
INSERT INTO trust_roles_new (user_id, trust_id, role)
    SELECT user_id, trust_id, role FROM trust_roles;
DROP TABLE trust_roles;
ALTER TABLE trust_roles_new RENAME TO trust_roles;
CREATE INDEX trust_roles_trust ON trust_roles (trust_id);
