-- Filtering and monitoring alerts (issue 17). A school's monitoring tools
-- post alerts with an ingestion key; the DSL and the Online Safety Lead
-- triage them. Nothing here is ever deleted: a key is revoked, an alert is
-- dismissed (with a reason) or promoted to an incident.

-- Ingestion keys: shown once, stored as a SHA-256 digest, one live key per
-- source name and school at a time.
CREATE TABLE monitoring_keys (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id),
    source TEXT NOT NULL,
    source_key TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES users (id),
    revoked_at TIMESTAMP,
    revoked_by TEXT REFERENCES users (id)
);
CREATE UNIQUE INDEX monitoring_keys_live ON monitoring_keys (school_id, source_key)
    WHERE revoked_at IS NULL;

-- How a source's own severity words map to safelog's four; a value the
-- school has not mapped falls back to the built-in defaults.
CREATE TABLE monitoring_severities (
    school_id TEXT NOT NULL REFERENCES schools (id),
    source_key TEXT NOT NULL,
    tool_value TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users (id),
    PRIMARY KEY (school_id, source_key, tool_value)
);

-- The school's target for a first look at a new alert, in hours.
CREATE TABLE monitoring_settings (
    school_id TEXT PRIMARY KEY NOT NULL REFERENCES schools (id),
    look_within_hours INTEGER NOT NULL CHECK (look_within_hours BETWEEN 1 AND 720),
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users (id)
);

CREATE TABLE monitoring_alerts (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id),
    key_id TEXT NOT NULL REFERENCES monitoring_keys (id),
    source TEXT NOT NULL,
    source_key TEXT NOT NULL,
    tool_alert_id TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    occurred_at TIMESTAMP,
    tool_severity TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    severity_rank INTEGER NOT NULL,
    device TEXT,
    account TEXT,
    pupil_identifier TEXT,
    pupil_id TEXT REFERENCES pupils (id),
    category_hint TEXT,
    text TEXT,
    url TEXT,
    extra TEXT,
    status TEXT NOT NULL CHECK (status IN ('new', 'acknowledged', 'dismissed', 'promoted')),
    first_looked_at TIMESTAMP,
    first_looked_by TEXT REFERENCES users (id),
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT REFERENCES users (id),
    decided_at TIMESTAMP,
    decided_by TEXT REFERENCES users (id),
    dismiss_reason TEXT CHECK (dismiss_reason IN ('false_positive', 'already_known', 'not_safeguarding', 'other')),
    dismiss_note TEXT,
    incident_id TEXT REFERENCES incidents (id)
);
-- A retried post of the same tool alert finds the first.
CREATE UNIQUE INDEX monitoring_alerts_tool_id ON monitoring_alerts (school_id, source_key, tool_alert_id);
CREATE INDEX monitoring_alerts_inbox ON monitoring_alerts (school_id, status, severity_rank, received_at);
CREATE INDEX monitoring_alerts_incident ON monitoring_alerts (incident_id);
