-- Retention (issue 16): when each record is reviewed, the decisions taken
-- at review (keep, with a reason and a new review date, or destroy), legal
-- holds that stop any destruction of the records they name, and the
-- school's review period per category.
--
-- "Destroy" erases a record's narrative in place (its text in every
-- version, its files, its links to pupils) and keeps a tombstone: the
-- incident row with its reference, category and dates, and the destroy
-- decision here (who, when, why). Nothing here is ever deleted.

CREATE TABLE retention_decisions (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    decision TEXT NOT NULL CHECK (decision IN ('keep', 'destroy')),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    -- The next review, for "keep"; none for "destroy".
    review_on DATE,
    -- The review date the record had when the decision was taken.
    was_due_on DATE,
    decided_by TEXT NOT NULL REFERENCES users(id),
    -- The role the decision was taken in: dpo or dsl.
    decided_as TEXT NOT NULL CHECK (decided_as IN ('dpo', 'dsl')),
    decided_at TIMESTAMP NOT NULL,
    -- How many files were erased from the data folder with it.
    files_removed INTEGER NOT NULL DEFAULT 0,
    CHECK ((decision = 'keep') = (review_on IS NOT NULL))
);
CREATE INDEX retention_decisions_incident ON retention_decisions (incident_id, decided_at);
CREATE INDEX retention_decisions_school ON retention_decisions (school_id, decision, decided_at);
-- A record is destroyed once: this row is its tombstone.
CREATE UNIQUE INDEX retention_decisions_destroyed ON retention_decisions (incident_id)
    WHERE decision = 'destroy';
CREATE FUNCTION retention_decisions_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a retention decision is never changed: record a new one';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER retention_decisions_no_change BEFORE UPDATE OR DELETE ON retention_decisions
    FOR EACH ROW EXECUTE FUNCTION retention_decisions_append_only();

-- The school's period per category; a category with no row is reviewed
-- at the pupil's date of birth + 25 years.
CREATE TABLE retention_periods (
    school_id TEXT NOT NULL REFERENCES schools(id),
    category_code TEXT NOT NULL,
    basis TEXT NOT NULL CHECK (basis IN ('date_of_birth', 'incident')),
    years INTEGER NOT NULL CHECK (years BETWEEN 1 AND 100),
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users(id),
    PRIMARY KEY (school_id, category_code)
);

-- Legal holds (an inquiry, as IICSA required): while not lifted, no
-- record a hold names may be destroyed. Lifting is filled in once.
CREATE TABLE legal_holds (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    lifted_by TEXT REFERENCES users(id),
    lifted_at TIMESTAMP,
    lifted_reason TEXT,
    CHECK ((lifted_at IS NULL) = (lifted_by IS NULL)),
    CHECK ((lifted_at IS NULL) = (lifted_reason IS NULL))
);
CREATE INDEX legal_holds_school ON legal_holds (school_id, created_at);
CREATE FUNCTION legal_holds_lifted_once() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a legal hold is never deleted: lift it with a reason';
    END IF;
    IF OLD.lifted_at IS NOT NULL
        OR NEW.id IS DISTINCT FROM OLD.id OR NEW.school_id IS DISTINCT FROM OLD.school_id
        OR NEW.name IS DISTINCT FROM OLD.name OR NEW.reason IS DISTINCT FROM OLD.reason
        OR NEW.created_by IS DISTINCT FROM OLD.created_by
        OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'a legal hold is only ever lifted, once';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER legal_holds_lifted_once BEFORE UPDATE OR DELETE ON legal_holds
    FOR EACH ROW EXECUTE FUNCTION legal_holds_lifted_once();

-- What a hold names: one incident, or a pupil (every record of theirs,
-- those logged later included).
CREATE TABLE legal_hold_records (
    id TEXT PRIMARY KEY NOT NULL,
    hold_id TEXT NOT NULL REFERENCES legal_holds(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    incident_id TEXT REFERENCES incidents(id),
    pupil_id TEXT,
    added_by TEXT NOT NULL REFERENCES users(id),
    added_at TIMESTAMP NOT NULL,
    CHECK ((incident_id IS NULL) <> (pupil_id IS NULL)),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupils (school_id, id)
);
CREATE INDEX legal_hold_records_hold ON legal_hold_records (hold_id);
CREATE INDEX legal_hold_records_incident ON legal_hold_records (incident_id);
CREATE INDEX legal_hold_records_pupil ON legal_hold_records (school_id, pupil_id);
CREATE FUNCTION legal_hold_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'what a legal hold names is never changed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER legal_hold_records_no_change BEFORE UPDATE OR DELETE ON legal_hold_records
    FOR EACH ROW EXECUTE FUNCTION legal_hold_records_append_only();

-- The pupil a destroyed record points at instead of the children it named
-- (incidents.pupil_id cannot be empty): one per school, off the roll and
-- marked as left, so no form offers it.
CREATE TABLE retention_placeholders (
    school_id TEXT PRIMARY KEY NOT NULL REFERENCES schools(id),
    pupil_id TEXT NOT NULL,
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupils (school_id, id)
);

-- The timeline stays append-only, except that a destroyed record's
-- entries may be erased: their text, values and reasons emptied, nothing
-- else touched.
CREATE OR REPLACE FUNCTION incident_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND EXISTS (SELECT 1 FROM retention_decisions d
                     WHERE d.incident_id = OLD.incident_id AND d.decision = 'destroy')
        AND NEW.id IS NOT DISTINCT FROM OLD.id
        AND NEW.incident_id IS NOT DISTINCT FROM OLD.incident_id
        AND NEW.school_id IS NOT DISTINCT FROM OLD.school_id
        AND NEW.seq IS NOT DISTINCT FROM OLD.seq
        AND NEW.incident_version IS NOT DISTINCT FROM OLD.incident_version
        AND NEW.kind IS NOT DISTINCT FROM OLD.kind
        AND NEW.by_user_id IS NOT DISTINCT FROM OLD.by_user_id
        AND NEW.by_initials IS NOT DISTINCT FROM OLD.by_initials
        AND NEW.at IS NOT DISTINCT FROM OLD.at
        AND NEW.field IS NOT DISTINCT FROM OLD.field
        AND NEW.visible_to_reporter IS NOT DISTINCT FROM OLD.visible_to_reporter
        AND (NEW.text IS NULL OR NEW.text IS NOT DISTINCT FROM OLD.text)
        AND (NEW.reason IS NULL OR NEW.reason IS NOT DISTINCT FROM OLD.reason)
        AND (NEW.old_value IS NULL OR NEW.old_value IS NOT DISTINCT FROM OLD.old_value)
        AND (NEW.new_value IS NULL OR NEW.new_value IS NOT DISTINCT FROM OLD.new_value) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the incident timeline is append-only';
END;
$$ LANGUAGE plpgsql;

-- A destroyed record takes nothing new: no note, action, file, decision,
-- share, referral or pupil (the application refuses first, with words).
CREATE FUNCTION refuse_destroyed_record() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_decisions d
                WHERE d.incident_id = NEW.incident_id AND d.decision = 'destroy') THEN
        RAISE EXCEPTION 'this record was destroyed';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incident_events_not_destroyed BEFORE INSERT ON incident_events
    FOR EACH ROW EXECUTE FUNCTION refuse_destroyed_record();
CREATE TRIGGER attachments_not_destroyed BEFORE INSERT ON attachments
    FOR EACH ROW EXECUTE FUNCTION refuse_destroyed_record();
CREATE TRIGGER case_decisions_not_destroyed BEFORE INSERT ON case_decisions
    FOR EACH ROW EXECUTE FUNCTION refuse_destroyed_record();
CREATE TRIGGER information_shares_not_destroyed BEFORE INSERT ON information_shares
    FOR EACH ROW EXECUTE FUNCTION refuse_destroyed_record();
CREATE TRIGGER referrals_not_destroyed BEFORE INSERT ON referrals
    FOR EACH ROW EXECUTE FUNCTION refuse_destroyed_record();
CREATE TRIGGER incident_pupils_not_destroyed BEFORE INSERT ON incident_pupils
    FOR EACH ROW EXECUTE FUNCTION refuse_destroyed_record();
