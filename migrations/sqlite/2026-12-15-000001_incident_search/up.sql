-- The incident list and its text search at trust scale (issue 14).
--
-- The list reads a school's incidents newest first, then by id, and pages
-- on from the last row shown: this index serves that order and that seek.
-- It replaces (school_id, logged_at), which it begins with.
CREATE INDEX incidents_school_logged_id ON incidents (school_id, logged_at, id);
DROP INDEX incidents_school_logged;

-- Text search: a trigram index of search_text, so that "contains this
-- text" (the search users had: any part of a word, any case) is found
-- without reading every row. Contentless: the text stays in incidents
-- alone. Its rowids are incidents.search_rowid, a number given once and
-- never changed (an incident's own rowid may change in a VACUUM).
ALTER TABLE incidents ADD COLUMN search_rowid INTEGER;
UPDATE incidents SET search_rowid = rowid;
CREATE UNIQUE INDEX incidents_search_rowid ON incidents (search_rowid);
CREATE VIRTUAL TABLE incidents_search USING fts5 (
    search_text,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram'
);
INSERT INTO incidents_search (rowid, search_text) SELECT search_rowid, search_text FROM incidents;

-- Kept in step in the writing transaction itself, whatever writes the row
-- (logging, import, correction): a search never misses a committed change.
CREATE TRIGGER incidents_search_insert AFTER INSERT ON incidents
BEGIN
    UPDATE incidents
       SET search_rowid = (SELECT coalesce(max(search_rowid), 0) + 1 FROM incidents)
     WHERE rowid = NEW.rowid AND search_rowid IS NULL;
    INSERT INTO incidents_search (rowid, search_text)
        SELECT search_rowid, search_text FROM incidents WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER incidents_search_update AFTER UPDATE OF search_text ON incidents
    WHEN OLD.search_text IS NOT NEW.search_text
BEGIN
    DELETE FROM incidents_search WHERE rowid = NEW.search_rowid;
    INSERT INTO incidents_search (rowid, search_text) VALUES (NEW.search_rowid, NEW.search_text);
END;
