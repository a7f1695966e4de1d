-- Conflicts of interest (issue 16): a member of staff who is a pupil's
-- parent or relative is excluded from that pupil, and reads nothing about
-- them whatever their role. An exclusion is never deleted: lifting it
-- fills ended_at, ended_by and end_reason, so the record shows who was
-- kept out, when, why, and who let them back.

CREATE TABLE pupil_exclusions (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    pupil_id TEXT NOT NULL REFERENCES pupils(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL CHECK (length(reason) > 0),
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    ended_by TEXT REFERENCES users(id),
    end_reason TEXT,
    CHECK ((ended_at IS NULL) = (ended_by IS NULL) AND (ended_at IS NULL) = (end_reason IS NULL))
);
-- Read on every signed-in request: a person's live exclusions in a school.
CREATE INDEX pupil_exclusions_user ON pupil_exclusions (user_id, school_id, ended_at);
-- At most one live exclusion of a person from a pupil.
CREATE UNIQUE INDEX pupil_exclusions_live ON pupil_exclusions (pupil_id, user_id) WHERE ended_at IS NULL;
