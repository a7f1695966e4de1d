-- The export walks a school's incidents in the order they were logged, a
-- batch at a time, from the last (logged_at, reference) it sent: this index
-- lets each batch start where the last ended, however many incidents share
-- one logged_at (a spreadsheet import logs them all at one moment).
CREATE INDEX incidents_school_logged_reference ON incidents (school_id, logged_at, reference);
