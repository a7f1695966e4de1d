-- Sign-in with OpenID Connect (issue 15). A school or a trust names the
-- providers (Microsoft Entra ID, Google Workspace, any standard issuer)
-- whose ID tokens sign its people in. A provider is removed by marking
-- it, never deleted, so the sign-in history keeps naming it.
CREATE TABLE oidc_providers (
    id TEXT PRIMARY KEY NOT NULL,
    -- Exactly one of the two: a school's own provider, or a trust's that
    -- every school of the trust may use.
    school_id TEXT REFERENCES schools (id),
    trust_id TEXT REFERENCES trusts (id),
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    -- Sent to the provider's token endpoint; never shown or logged.
    client_secret TEXT NOT NULL,
    preset TEXT NOT NULL CHECK (preset IN ('entra', 'google', 'generic')),
    -- Entra: the directory (tenant) id every token's `tid` must carry.
    tenant_id TEXT,
    -- Google: the Workspace domain every token's `hd` must carry.
    hosted_domain TEXT,
    -- The email domains it signs in for, lower-case, separated by spaces.
    domains TEXT NOT NULL,
    -- An `acr` value that counts as a second factor, besides amr=mfa.
    mfa_acr TEXT,
    -- A domain whose unknown people get a `staff` account on first sign-in.
    self_sign_up_domain TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES users (id),
    last_success_at TIMESTAMP,
    removed_at TIMESTAMP,
    removed_by TEXT REFERENCES users (id),
    CHECK ((school_id IS NULL) <> (trust_id IS NULL))
);

-- A sign-in started and not yet finished: its `state` (as a digest),
-- `nonce` and PKCE verifier, used once and within minutes.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES oidc_providers (id),
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

-- How a school's people may sign in: whether with a password (turned off
-- once SSO works; the school's administrators keep it, with their second
-- factor), and after how many days unseen an account is listed for
-- deactivation. A school without a row: password on, 90 days.
CREATE TABLE sign_in_settings (
    school_id TEXT PRIMARY KEY NOT NULL REFERENCES schools (id),
    password_sign_in BOOLEAN NOT NULL,
    dormant_after_days INTEGER NOT NULL CHECK (dormant_after_days BETWEEN 7 AND 3650),
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users (id)
);

-- A session made by SSO ends when the provider's token does, if sooner
-- than safelog's own limit; how each session began.
ALTER TABLE sessions ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';
