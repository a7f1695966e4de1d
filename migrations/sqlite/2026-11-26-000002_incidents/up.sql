-- The incident log: categories and their routing, pupils, incidents, the
-- other pupils involved, each incident's timeline, and referrals (filled in
-- by the case workflow). Every row carries school_id. The CHECK lists hold
-- the values later features will use too (event kinds, statuses, agencies),
-- because SQLite cannot change a CHECK without rebuilding the table.

CREATE TABLE categories (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 60),
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    four_c TEXT NOT NULL CHECK (four_c IN ('content', 'contact', 'conduct', 'commerce', 'none')),
    owner_role TEXT NOT NULL CHECK (owner_role IN ('online_safety_lead', 'dsl', 'headteacher', 'dpo')),
    guidance TEXT NOT NULL,
    urgent BOOLEAN NOT NULL,
    -- Seen only by the headteacher (staff-conduct).
    restricted BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    -- An inactive category is no longer offered; its incidents keep it.
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX categories_school_code ON categories (school_id, code);

CREATE TABLE pupils (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    -- The name lower-cased by the application (Unicode-aware, so the same on
    -- both backends), for matching and type-ahead.
    name_key TEXT NOT NULL,
    tutor_group TEXT,
    year_group INTEGER,
    date_of_birth DATE,
    upn TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- The target of the (school_id, pupil_id) foreign keys below: a record can
-- never name another school's pupil.
CREATE UNIQUE INDEX pupils_school_id ON pupils (school_id, id);
CREATE INDEX pupils_school_name ON pupils (school_id, name_key);
-- NULLs are distinct in a unique index on both backends: many pupils without a UPN.
CREATE UNIQUE INDEX pupils_school_upn ON pupils (school_id, upn);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    -- OS-<year logged>-<sequence within the school and year>, e.g. OS-2025-0042.
    reference TEXT NOT NULL,
    pupil_id TEXT NOT NULL,
    -- As at the incident; the pupil's own record moves on.
    tutor_group TEXT NOT NULL,
    year_group INTEGER,
    -- NULL: not known. Never guessed.
    incident_date DATE,
    category_code TEXT NOT NULL,
    child_at_risk BOOLEAN NOT NULL,
    location TEXT NOT NULL CHECK (location IN ('in_school', 'outside_school', 'online_at_home', 'unknown')),
    platform TEXT,
    details TEXT NOT NULL,
    -- The actions taken so far, as typed when it was logged.
    actions_taken TEXT NOT NULL,
    -- details, actions and platform lower-cased by the application, for search.
    search_text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new', 'in_progress', 'escalated', 'closed')),
    owner_role TEXT NOT NULL CHECK (owner_role IN ('online_safety_lead', 'dsl', 'headteacher', 'dpo')),
    owner_user_id TEXT REFERENCES users(id),
    -- NULL only for an incident imported from the command line.
    logged_by TEXT REFERENCES users(id),
    staff_initials TEXT NOT NULL,
    logged_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    -- Raised by every change: a correction made against an older version is refused.
    version INTEGER NOT NULL CHECK (version >= 1),
    lg_acknowledged_by TEXT REFERENCES users(id),
    lg_acknowledged_at TIMESTAMP,
    outcome TEXT,
    closed_at TIMESTAMP,
    entered_in_error_at TIMESTAMP,
    entered_in_error_by TEXT REFERENCES users(id),
    entered_in_error_reason TEXT,
    -- A retried submission with the same key returns the first incident.
    idempotency_key TEXT,
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupils (school_id, id),
    FOREIGN KEY (school_id, category_code) REFERENCES categories (school_id, code)
);
CREATE UNIQUE INDEX incidents_school_reference ON incidents (school_id, reference);
CREATE UNIQUE INDEX incidents_idempotency ON incidents (school_id, logged_by, idempotency_key);
CREATE INDEX incidents_school_logged ON incidents (school_id, logged_at);
CREATE INDEX incidents_logged_by ON incidents (school_id, logged_by, logged_at);
CREATE INDEX incidents_pupil ON incidents (school_id, pupil_id);
CREATE INDEX incidents_school_date ON incidents (school_id, incident_date);

-- The last reference number given in each school and year, so that the
-- next one costs one row, however many incidents there are.
CREATE TABLE incident_references (
    school_id TEXT NOT NULL REFERENCES schools(id),
    year INTEGER NOT NULL,
    last_seq INTEGER NOT NULL CHECK (last_seq >= 1),
    PRIMARY KEY (school_id, year)
);

-- Where an imported incident came from (the spreadsheet import fills it).
-- Apart from incidents because it concerns only imported rows, and diesel
-- handles tables of at most 32 columns without a slower-to-build feature.
CREATE TABLE incident_imports (
    incident_id TEXT PRIMARY KEY NOT NULL REFERENCES incidents(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    import_file TEXT NOT NULL,
    import_line INTEGER NOT NULL,
    -- What makes an imported row the same row when the file is imported again.
    import_key TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX incident_imports_key ON incident_imports (school_id, import_key);

CREATE TABLE incident_pupils (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    pupil_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reported', 'affected', 'alleged', 'witness')),
    position INTEGER NOT NULL,
    PRIMARY KEY (incident_id, pupil_id),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupils (school_id, id)
);
CREATE INDEX incident_pupils_pupil ON incident_pupils (school_id, pupil_id);

CREATE TABLE incident_events (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    -- Order within the incident: several events can share a timestamp.
    seq INTEGER NOT NULL,
    -- The incident's version once this event happened.
    incident_version INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('logged', 'note', 'action', 'correction', 'entered_in_error',
        'status_change', 'escalation', 'referral', 'acknowledgement', 'assignment', 'reopened')),
    by_user_id TEXT REFERENCES users(id),
    by_initials TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    text TEXT,
    field TEXT,
    old_value TEXT,
    new_value TEXT,
    reason TEXT,
    -- Shown to the member of staff who logged it: their own notes and the
    -- status, never a lead's case notes.
    visible_to_reporter BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX incident_events_order ON incident_events (incident_id, seq);
CREATE INDEX incident_events_school ON incident_events (school_id, kind, at);

-- The timeline is history: nothing in it is ever changed or removed.
CREATE TRIGGER incident_events_no_update BEFORE UPDATE ON incident_events
BEGIN SELECT RAISE(ABORT, 'the incident timeline is append-only'); END;
CREATE TRIGGER incident_events_no_delete BEFORE DELETE ON incident_events
BEGIN SELECT RAISE(ABORT, 'the incident timeline is append-only'); END;

CREATE TABLE referrals (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    agency TEXT NOT NULL CHECK (agency IN ('police', 'ceop', 'iwf', 'social_care', 'lado', 'prevent',
        'report_harmful_content', 'platform', 'action_fraud', 'ico')),
    referred_on DATE NOT NULL,
    reference TEXT,
    made_by TEXT REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX referrals_incident ON referrals (incident_id);
CREATE INDEX referrals_school ON referrals (school_id, referred_on);
