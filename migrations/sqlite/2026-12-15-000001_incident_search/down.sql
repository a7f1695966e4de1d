DROP TRIGGER incidents_search_update;
DROP TRIGGER incidents_search_insert;
DROP TABLE incidents_search;
DROP INDEX incidents_search_rowid;
ALTER TABLE incidents DROP COLUMN search_rowid;
CREATE INDEX incidents_school_logged ON incidents (school_id, logged_at);
DROP INDEX incidents_school_logged_id;
