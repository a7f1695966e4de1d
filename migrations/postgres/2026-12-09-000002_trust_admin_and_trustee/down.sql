DELETE FROM trust_roles WHERE role <> 'trust_safeguarding_lead';
ALTER TABLE trust_roles DROP CONSTRAINT trust_roles_role_check;
ALTER TABLE trust_roles ADD CONSTRAINT trust_roles_role_check
    CHECK (role IN ('trust_safeguarding_lead'));
