DROP TABLE trust_roles;
