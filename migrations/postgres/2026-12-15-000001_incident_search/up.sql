-- The incident list and its text search at trust scale (issue 14).
--
-- The list reads a school's incidents newest first, then by id, and pages
-- on from the last row shown: this index serves that order and that seek.
-- It replaces (school_id, logged_at), which it begins with.
CREATE INDEX incidents_school_logged_id ON incidents (school_id, logged_at, id);
DROP INDEX incidents_school_logged;

-- Text search: a trigram GIN index of search_text, which serves
-- `search_text LIKE '%text%'` (the search users had: any part of a word,
-- any case) without reading every row, and is kept in step by PostgreSQL
-- in the writing transaction. pg_trgm ships with PostgreSQL and is a
-- trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX incidents_search_trgm ON incidents USING gin (search_text gin_trgm_ops);
