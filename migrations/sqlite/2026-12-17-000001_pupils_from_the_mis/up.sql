-- Pupils from the school's MIS (issue 15) and the child identifier (issue 16).
--
-- mis_id: the MIS's own id for the pupil (Wonde's `mis_id`), matched first.
-- left_at: when a nightly pupil drop no longer named the pupil. A pupil who
-- has left is never deleted: their records stay and still open; they are
-- only no longer offered when logging.
-- child_identifier: the consistent child identifier of the Children's
-- Wellbeing and Schools Act 2026 (its format is not yet set: text).
-- nhs_number: ten digits, the last a modulus-11 check digit (checked in Rust).
ALTER TABLE pupils ADD COLUMN mis_id TEXT NULL;
ALTER TABLE pupils ADD COLUMN left_at TIMESTAMP NULL;
ALTER TABLE pupils ADD COLUMN child_identifier TEXT NULL;
ALTER TABLE pupils ADD COLUMN nhs_number TEXT NULL
    CHECK (nhs_number IS NULL OR length(nhs_number) = 10);
CREATE INDEX pupils_mis_id ON pupils (school_id, mis_id);

-- Each nightly drop file looked at, imported or refused: what the admin
-- pupils page shows, and how a file is imported once (by name and hash).
-- Counts and reasons only: never a pupil's name.
CREATE TABLE pupil_drop_runs (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    ran_at TIMESTAMP NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('imported', 'refused')),
    added INTEGER NOT NULL,
    moved INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    returned INTEGER NOT NULL,
    left_roll INTEGER NOT NULL,
    refused_rows INTEGER NOT NULL,
    message TEXT NULL
);
CREATE UNIQUE INDEX pupil_drop_runs_once ON pupil_drop_runs (school_id, file_name, file_sha256)
    WHERE outcome = 'imported';
CREATE INDEX pupil_drop_runs_recent ON pupil_drop_runs (school_id, ran_at);
