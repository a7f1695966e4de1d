-- Two more trust roles: the trust's administrator (its schools, shared
-- categories and trust roles; no incident content) and its trustees (the
-- trust's published termly reports only); and the allegations lead may be
-- held across a trust (a trust's CEO, for allegations about any of its
-- headteachers).
ALTER TABLE trust_roles DROP CONSTRAINT trust_roles_role_check;
ALTER TABLE trust_roles ADD CONSTRAINT trust_roles_role_check
    CHECK (role IN ('trust_safeguarding_lead', 'trust_admin', 'trustee', 'allegations_lead'));
