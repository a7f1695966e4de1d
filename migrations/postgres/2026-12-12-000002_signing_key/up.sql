-- The deployment's Ed25519 key pair, made once (at the first start after
-- this migration) and kept: it signs the packages that carry a pupil's
-- file to a school on another system, and the receivers check packages
-- against its public key, so it must not change. It lives in the database
-- rather than the data folder so that every instance of a deployment signs
-- with the same key and a backup carries it (a restored deployment keeps
-- the fingerprint schools were given); the database already holds the
-- records the key vouches for.
CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY NOT NULL,
    public_key TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
