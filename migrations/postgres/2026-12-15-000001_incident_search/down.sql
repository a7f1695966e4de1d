DROP INDEX incidents_search_trgm;
CREATE INDEX incidents_school_logged ON incidents (school_id, logged_at);
DROP INDEX incidents_school_logged_id;
