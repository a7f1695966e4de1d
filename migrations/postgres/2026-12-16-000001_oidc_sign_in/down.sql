ALTER TABLE sessions DROP COLUMN method;
ALTER TABLE sessions DROP COLUMN expires_at;
DROP TABLE sign_in_settings;
DROP TABLE oidc_logins;
DROP TABLE oidc_providers;
