ALTER TABLE oidc_providers DROP COLUMN role_map_at;
ALTER TABLE oidc_providers DROP COLUMN role_map_by;
ALTER TABLE oidc_providers DROP COLUMN role_map;
ALTER TABLE oidc_providers DROP COLUMN role_claim;
