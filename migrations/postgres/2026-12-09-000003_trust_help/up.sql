-- A school asks its trust's safeguarding lead to work its cases (a DSL
-- away, a case beyond the school): while a request is open the trust lead
-- acts there as the school's DSL does. Requests are ended, never deleted,
-- so the school can show who could act on its cases and when.
CREATE TABLE trust_help (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id),
    asked_by TEXT NOT NULL REFERENCES users (id),
    asked_at TIMESTAMP NOT NULL,
    reason TEXT NOT NULL,
    ended_by TEXT REFERENCES users (id),
    ended_at TIMESTAMP
);
CREATE INDEX trust_help_school ON trust_help (school_id, ended_at);
