-- Term dates per school and academic year (year = the calendar year the
-- academic year starts in). A term a school has not set uses the defaults:
-- autumn 1 Sep to 31 Dec, spring 1 Jan to 31 Mar, summer 1 Apr to 31 Aug.
CREATE TABLE terms (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    academic_year INTEGER NOT NULL,
    term TEXT NOT NULL CHECK (term IN ('autumn', 'spring', 'summer')),
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users(id),
    CHECK (starts_on <= ends_on)
);
CREATE UNIQUE INDEX terms_school_year_term ON terms (school_id, academic_year, term);

-- Counts from 1 to this minus one are shown as "<k" in governors' reports.
ALTER TABLE schools ADD COLUMN report_min_count INTEGER NOT NULL DEFAULT 3 CHECK (report_min_count >= 1);
-- How long an incident may wait to be picked up (or acknowledged) before its owner is reminded.
ALTER TABLE schools ADD COLUMN pickup_school_days INTEGER NOT NULL DEFAULT 1 CHECK (pickup_school_days >= 1);
