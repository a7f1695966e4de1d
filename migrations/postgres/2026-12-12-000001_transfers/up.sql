-- Records that follow a pupil (KCSIE: the child protection file goes to the
-- new school, separately from the main file, with confirmation of receipt).
-- A transfer keeps the document exactly as it was made (the bytes a
-- package signs), so what the receiver reads is what the sender sent,
-- whatever happens to the sender's records afterwards.
--   within:      one school of this deployment to another
--   package_out: downloaded as a signed package for a school elsewhere
--   package_in:  a package from elsewhere, imported here
CREATE TABLE transfers (
    id TEXT PRIMARY KEY NOT NULL,
    -- The document's own id: a package carries it, so the same package is
    -- never received twice by one school.
    document_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('within', 'package_out', 'package_in')),
    from_school_id TEXT REFERENCES schools (id),
    from_pupil_id TEXT REFERENCES pupils (id),
    from_school_name TEXT NOT NULL,
    from_school_urn TEXT,
    to_school_id TEXT REFERENCES schools (id),
    to_urn TEXT,
    pupil_name TEXT NOT NULL,
    incident_count INTEGER NOT NULL,
    document TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    sent_by TEXT REFERENCES users (id),
    sent_by_name TEXT NOT NULL,
    opened_at TIMESTAMP,
    opened_by TEXT REFERENCES users (id),
    confirmed_at TIMESTAMP,
    confirmed_by TEXT REFERENCES users (id),
    linked_pupil_id TEXT REFERENCES pupils (id),
    key_fingerprint TEXT,
    CHECK (kind = 'package_in' OR (from_school_id IS NOT NULL AND from_pupil_id IS NOT NULL)),
    CHECK (kind = 'package_out' OR to_school_id IS NOT NULL),
    CHECK (confirmed_at IS NULL OR opened_at IS NOT NULL)
);
CREATE UNIQUE INDEX transfers_received ON transfers (to_school_id, document_id);
CREATE INDEX transfers_from ON transfers (from_school_id, sent_at);
CREATE INDEX transfers_from_pupil ON transfers (from_pupil_id);
CREATE INDEX transfers_linked_pupil ON transfers (linked_pupil_id);

-- What was sent is never rewritten, and nothing is deleted: only the
-- receipt (opened, confirmed, linked) is filled in, once.
CREATE FUNCTION transfers_fixed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'transfers are never deleted';
    END IF;
    IF NEW.document IS DISTINCT FROM OLD.document
        OR NEW.document_id IS DISTINCT FROM OLD.document_id
        OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.from_school_id IS DISTINCT FROM OLD.from_school_id
        OR NEW.from_pupil_id IS DISTINCT FROM OLD.from_pupil_id
        OR NEW.to_school_id IS DISTINCT FROM OLD.to_school_id
        OR NEW.to_urn IS DISTINCT FROM OLD.to_urn
        OR NEW.sent_at IS DISTINCT FROM OLD.sent_at
        OR NEW.sent_by IS DISTINCT FROM OLD.sent_by THEN
        RAISE EXCEPTION 'what was sent is never changed';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER transfers_fixed BEFORE UPDATE OR DELETE ON transfers
    FOR EACH ROW EXECUTE FUNCTION transfers_fixed();
