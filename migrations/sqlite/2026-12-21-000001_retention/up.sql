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
CREATE TRIGGER retention_decisions_no_update BEFORE UPDATE ON retention_decisions
BEGIN SELECT RAISE(ABORT, 'a retention decision is never changed: record a new one'); END;
CREATE TRIGGER retention_decisions_no_delete BEFORE DELETE ON retention_decisions
BEGIN SELECT RAISE(ABORT, 'a retention decision is never changed: record a new one'); END;

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
CREATE TRIGGER legal_holds_no_delete BEFORE DELETE ON legal_holds
BEGIN SELECT RAISE(ABORT, 'a legal hold is never deleted: lift it with a reason'); END;
CREATE TRIGGER legal_holds_lifted_once BEFORE UPDATE ON legal_holds
WHEN OLD.lifted_at IS NOT NULL
    OR NEW.id IS NOT OLD.id OR NEW.school_id IS NOT OLD.school_id
    OR NEW.name IS NOT OLD.name OR NEW.reason IS NOT OLD.reason
    OR NEW.created_by IS NOT OLD.created_by OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'a legal hold is only ever lifted, once'); END;

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
CREATE TRIGGER legal_hold_records_no_update BEFORE UPDATE ON legal_hold_records
BEGIN SELECT RAISE(ABORT, 'what a legal hold names is never changed'); END;
CREATE TRIGGER legal_hold_records_no_delete BEFORE DELETE ON legal_hold_records
BEGIN SELECT RAISE(ABORT, 'what a legal hold names is never changed'); END;

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
DROP TRIGGER incident_events_no_update;
CREATE TRIGGER incident_events_no_update BEFORE UPDATE ON incident_events
WHEN NOT EXISTS (SELECT 1 FROM retention_decisions d
                  WHERE d.incident_id = OLD.incident_id AND d.decision = 'destroy')
    OR NEW.id IS NOT OLD.id OR NEW.incident_id IS NOT OLD.incident_id
    OR NEW.school_id IS NOT OLD.school_id OR NEW.seq IS NOT OLD.seq
    OR NEW.incident_version IS NOT OLD.incident_version OR NEW.kind IS NOT OLD.kind
    OR NEW.by_user_id IS NOT OLD.by_user_id OR NEW.by_initials IS NOT OLD.by_initials
    OR NEW.at IS NOT OLD.at OR NEW.field IS NOT OLD.field
    OR NEW.visible_to_reporter IS NOT OLD.visible_to_reporter
    OR (NEW.text IS NOT NULL AND NEW.text IS NOT OLD.text)
    OR (NEW.reason IS NOT NULL AND NEW.reason IS NOT OLD.reason)
    OR (NEW.old_value IS NOT NULL AND NEW.old_value IS NOT OLD.old_value)
    OR (NEW.new_value IS NOT NULL AND NEW.new_value IS NOT OLD.new_value)
BEGIN SELECT RAISE(ABORT, 'the incident timeline is append-only'); END;

-- A destroyed record takes nothing new: no note, action, file, decision,
-- share, referral or pupil (the application refuses first, with words).
CREATE TRIGGER incident_events_not_destroyed BEFORE INSERT ON incident_events
WHEN EXISTS (SELECT 1 FROM retention_decisions d WHERE d.incident_id = NEW.incident_id AND d.decision = 'destroy')
BEGIN SELECT RAISE(ABORT, 'this record was destroyed'); END;
CREATE TRIGGER attachments_not_destroyed BEFORE INSERT ON attachments
WHEN EXISTS (SELECT 1 FROM retention_decisions d WHERE d.incident_id = NEW.incident_id AND d.decision = 'destroy')
BEGIN SELECT RAISE(ABORT, 'this record was destroyed'); END;
CREATE TRIGGER case_decisions_not_destroyed BEFORE INSERT ON case_decisions
WHEN EXISTS (SELECT 1 FROM retention_decisions d WHERE d.incident_id = NEW.incident_id AND d.decision = 'destroy')
BEGIN SELECT RAISE(ABORT, 'this record was destroyed'); END;
CREATE TRIGGER information_shares_not_destroyed BEFORE INSERT ON information_shares
WHEN EXISTS (SELECT 1 FROM retention_decisions d WHERE d.incident_id = NEW.incident_id AND d.decision = 'destroy')
BEGIN SELECT RAISE(ABORT, 'this record was destroyed'); END;
CREATE TRIGGER referrals_not_destroyed BEFORE INSERT ON referrals
WHEN EXISTS (SELECT 1 FROM retention_decisions d WHERE d.incident_id = NEW.incident_id AND d.decision = 'destroy')
BEGIN SELECT RAISE(ABORT, 'this record was destroyed'); END;
CREATE TRIGGER incident_pupils_not_destroyed BEFORE INSERT ON incident_pupils
WHEN EXISTS (SELECT 1 FROM retention_decisions d WHERE d.incident_id = NEW.incident_id AND d.decision = 'destroy')
BEGIN SELECT RAISE(ABORT, 'this record was destroyed'); END;
