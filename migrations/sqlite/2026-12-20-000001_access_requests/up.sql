-- Subject access requests (UK GDPR Art. 15; Data (Use and Access) Act
-- 2025): the request and its one-month clock, its history, the passages
-- the DPO withholds from the pack, and each pack exactly as released.
--
-- Nothing here is deleted; a released pack is never rewritten.

CREATE TABLE access_requests (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    reference TEXT NOT NULL,
    pupil_id TEXT NOT NULL REFERENCES pupils(id),
    requester_name TEXT NOT NULL,
    relationship TEXT NOT NULL CHECK (relationship IN ('pupil', 'parent', 'representative')),
    received_on DATE NOT NULL,
    -- Further months allowed for a complex request (at most two).
    extension_months INTEGER NOT NULL CHECK (extension_months BETWEEN 0 AND 2),
    extension_reason TEXT,
    -- Days the clock stood still while waiting for ID or clarification.
    paused_days INTEGER NOT NULL CHECK (paused_days >= 0),
    -- Set while paused: the day the clock stopped.
    paused_on DATE,
    state TEXT NOT NULL CHECK (state IN ('open', 'paused', 'released', 'withdrawn')),
    keep_staff_names BOOLEAN NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (school_id, reference)
);
CREATE INDEX access_requests_school ON access_requests (school_id, state, received_on);

CREATE TABLE access_request_events (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES access_requests(id),
    kind TEXT NOT NULL,
    detail TEXT,
    by_user_id TEXT REFERENCES users(id),
    by_name TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX access_request_events_request ON access_request_events (request_id, at);

CREATE TABLE access_request_redactions (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES access_requests(id),
    incident_reference TEXT NOT NULL,
    -- Which text of the record: `details`, `entry:3:text`, ...
    field TEXT NOT NULL,
    -- The words withheld; NULL withholds the whole field.
    passage TEXT,
    reason TEXT NOT NULL,
    by_user_id TEXT REFERENCES users(id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX access_request_redactions_request ON access_request_redactions (request_id, at);

CREATE TABLE access_request_releases (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES access_requests(id),
    -- The pack as released (JSON), and its SHA-256.
    content TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    released_by TEXT REFERENCES users(id),
    released_by_name TEXT NOT NULL,
    released_at TIMESTAMP NOT NULL
);

CREATE TRIGGER access_request_events_fixed BEFORE UPDATE ON access_request_events
BEGIN
    SELECT RAISE(ABORT, 'a request''s history is never changed');
END;
CREATE TRIGGER access_request_events_kept BEFORE DELETE ON access_request_events
BEGIN
    SELECT RAISE(ABORT, 'a request''s history is never deleted');
END;
CREATE TRIGGER access_request_redactions_kept BEFORE DELETE ON access_request_redactions
BEGIN
    SELECT RAISE(ABORT, 'redactions are never deleted');
END;
CREATE TRIGGER access_request_releases_fixed BEFORE UPDATE ON access_request_releases
BEGIN
    SELECT RAISE(ABORT, 'a released pack is never changed');
END;
CREATE TRIGGER access_request_releases_kept BEFORE DELETE ON access_request_releases
BEGIN
    SELECT RAISE(ABORT, 'a released pack is never deleted');
END;
CREATE TRIGGER access_requests_kept BEFORE DELETE ON access_requests
BEGIN
    SELECT RAISE(ABORT, 'access requests are never deleted');
END;
