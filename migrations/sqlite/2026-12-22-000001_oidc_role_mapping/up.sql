-- Roles from the provider's token (issue 15): a provider may name a claim
-- (Entra's groups or roles, a custom claim) and which of its values give
-- which school roles. At each sign-in through it, the roles the mapping
-- names are brought in line with the token.
ALTER TABLE oidc_providers ADD COLUMN role_claim TEXT;
-- One line per value: VALUE=role,role (empty when there is no mapping).
ALTER TABLE oidc_providers ADD COLUMN role_map TEXT NOT NULL DEFAULT '';
-- Who set the mapping, and when: the mapping never gives that person a
-- headteacher, DSL or allegations lead role (NULL: the command line).
ALTER TABLE oidc_providers ADD COLUMN role_map_by TEXT REFERENCES users (id);
ALTER TABLE oidc_providers ADD COLUMN role_map_at TIMESTAMP;
