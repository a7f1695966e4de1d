-- Evidence and decisions (issue 16): files attached to an incident (kept
-- in the data folder by their SHA-256; these rows say what each is, who
-- added it and when), the school's limits and "no images" categories, the
-- case decisions that need a reason (no further action, not referred, not
-- shared) and each information share with its lawful basis.
--
-- Nothing here is deleted: an attachment entered in error is hidden with
-- who, when and why, and its file is kept.

CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    name TEXT NOT NULL,
    -- Decided from the content (magic bytes), never from the name.
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by TEXT REFERENCES users(id),
    uploaded_by_initials TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    entered_in_error_at TIMESTAMP,
    entered_in_error_by TEXT REFERENCES users(id),
    entered_in_error_reason TEXT
);
CREATE INDEX attachments_incident ON attachments (incident_id, uploaded_at);

CREATE TABLE attachment_settings (
    school_id TEXT PRIMARY KEY NOT NULL REFERENCES schools(id),
    max_file_bytes BIGINT NOT NULL CHECK (max_file_bytes > 0),
    max_incident_bytes BIGINT NOT NULL CHECK (max_incident_bytes > 0),
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users(id)
);

-- Categories where the school refuses any file an image decoder recognises.
CREATE TABLE attachment_no_images (
    school_id TEXT NOT NULL REFERENCES schools(id),
    category_code TEXT NOT NULL,
    PRIMARY KEY (school_id, category_code)
);

CREATE TABLE case_decisions (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    decision TEXT NOT NULL CHECK (decision IN ('no_further_action', 'not_referred', 'not_shared')),
    reason TEXT NOT NULL,
    decided_by TEXT REFERENCES users(id),
    decided_at TIMESTAMP NOT NULL
);
CREATE INDEX case_decisions_incident ON case_decisions (incident_id);
CREATE INDEX case_decisions_school ON case_decisions (school_id, decision, decided_at);

CREATE TABLE information_shares (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    shared_with TEXT NOT NULL,
    person TEXT,
    what TEXT NOT NULL,
    shared_on DATE NOT NULL,
    lawful_basis TEXT NOT NULL CHECK (lawful_basis IN ('public_task', 'legal_obligation',
        'vital_interests', 'legitimate_interests', 'consent')),
    reason TEXT NOT NULL,
    recorded_by TEXT REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX information_shares_incident ON information_shares (incident_id);
