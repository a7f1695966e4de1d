-- Governors' termly reports.
--
-- counted_on: the day an incident counts on in reports, its date or, when
-- that is not known, the day it was logged (UTC). One column, so that every
-- report query is a range over one index on both backends. The application
-- sets it wherever it writes incident_date or logged_at; the constraint
-- refuses a row where it is missing or disagrees, so a new way of writing
-- incidents cannot quietly drop them from the reports.
ALTER TABLE incidents ADD COLUMN counted_on DATE;
UPDATE incidents SET counted_on = COALESCE(incident_date, CAST(logged_at AS DATE));
ALTER TABLE incidents ALTER COLUMN counted_on SET NOT NULL;
ALTER TABLE incidents ADD CONSTRAINT incidents_counted_on
    CHECK (counted_on = COALESCE(incident_date, CAST(logged_at AS DATE)));
-- Every report query is a range of counted_on within one school. The
-- other columns ride along so that the counts that need nothing else (the
-- totals, and "open at the end of term", which reaches back over every
-- earlier term) are answered from the index alone.
CREATE INDEX incidents_school_counted
    ON incidents (school_id, counted_on, entered_in_error_at, closed_at, logged_at);

-- The Online Safety Lead's commentary on a term, while it is being written.
CREATE TABLE report_commentaries (
    school_id TEXT NOT NULL REFERENCES schools(id),
    academic_year INTEGER NOT NULL,
    term TEXT NOT NULL CHECK (term IN ('autumn', 'spring', 'summer')),
    commentary TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (school_id, academic_year, term)
);

-- A published report: its figures frozen as JSON text, exactly as the
-- governors were given them. Publishing again adds a version with a
-- reason; no version is ever changed or removed.
CREATE TABLE report_publications (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    academic_year INTEGER NOT NULL,
    term TEXT NOT NULL CHECK (term IN ('autumn', 'spring', 'summer')),
    version INTEGER NOT NULL CHECK (version >= 1),
    figures TEXT NOT NULL,
    commentary TEXT NOT NULL,
    -- Why it was published again; NULL for the first version.
    reason TEXT,
    published_at TIMESTAMP NOT NULL,
    published_by TEXT NOT NULL REFERENCES users(id)
);
CREATE UNIQUE INDEX report_publications_version ON report_publications (school_id, academic_year, term, version);

CREATE FUNCTION report_publications_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a published report is never changed: publish it again';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER report_publications_no_change BEFORE UPDATE OR DELETE ON report_publications
FOR EACH ROW EXECUTE FUNCTION report_publications_append_only();
