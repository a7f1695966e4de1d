-- Accounts, roles, sessions, sign-in attempts, one-time links, the audit
-- trail and the mail outbox. Every school-owned row carries school_id.

ALTER TABLE schools ADD COLUMN require_2fa TEXT NOT NULL DEFAULT 'leads'
    CHECK (require_2fa IN ('leads', 'all', 'none'));

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    initials TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    totp_secret TEXT,
    totp_pending_secret TEXT,
    totp_last_step BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- Emails are stored lower-cased; one account per address across schools.
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_school ON users (school_id);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    role TEXT NOT NULL CHECK (role IN ('staff', 'online_safety_lead', 'dsl', 'headteacher', 'dpo', 'governor', 'admin')),
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_school_role ON user_roles (school_id, role);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    -- 'totp': password checked, code still to give; 'enrol': must set up 2FA first.
    stage TEXT NOT NULL CHECK (stage IN ('totp', 'enrol', 'complete')),
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);

CREATE TABLE sign_in_failures (
    id TEXT PRIMARY KEY NOT NULL,
    -- Only the address of a known account: an unknown "email" may be a password typed in the wrong box.
    email TEXT,
    ip TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, at);

CREATE TABLE one_time_links (
    id TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('setup', 'welcome', 'password_reset')),
    token_hash TEXT NOT NULL,
    user_id TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE UNIQUE INDEX one_time_links_token ON one_time_links (token_hash);

CREATE TABLE recovery_codes (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT REFERENCES schools(id),
    actor_id TEXT REFERENCES users(id),
    action TEXT NOT NULL,
    record_type TEXT,
    record_id TEXT,
    detail TEXT,
    ip TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_school_at ON audit_events (school_id, at);
CREATE INDEX audit_events_record ON audit_events (record_type, record_id, at);

-- The audit trail is append-only, whatever the application does.
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT REFERENCES schools(id),
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    claimed_until TIMESTAMP,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
