-- Imported history is history. Until now the spreadsheet import left every
-- row "new": years of old incidents waited in the leads' queue, had pick-up
-- reminders and counted as open at the end of every term. The import now
-- closes each row as history (unless the file gives it a status); this
-- closes the rows imported before, as the import now would: closed at the
-- time they were imported, with the outcome the import writes
-- (src/exports/import.rs, history_outcome), and a timeline entry saying why.
--
-- Only rows still "new" are closed: one a lead has taken or moved on, or
-- that the file itself gave a status, is a case someone chose to keep
-- open, and is left as it is. Records entered in error are left too.
--
-- The timeline is append-only (inserting is allowed): the entry goes in
-- first, at the version the change below makes. Timestamps are UTC, as the
-- application writes them (TIMESTAMP without a zone).

INSERT INTO incident_events (id, incident_id, school_id, seq, incident_version, kind,
    by_user_id, by_initials, at, text, field, old_value, new_value, reason, visible_to_reporter)
SELECT
    'imported-history-' || i.id,
    i.id,
    i.school_id,
    (SELECT COALESCE(MAX(e.seq), 0) + 1 FROM incident_events e WHERE e.incident_id = i.id),
    i.version + 1,
    'status_change',
    NULL,
    'safelog',
    (now() AT TIME ZONE 'UTC'),
    NULL,
    'status',
    'new',
    'closed',
    'imported from the school''s earlier log before imports arrived as closed history, so closed when safelog was updated (it alerts no one and waits in no queue)',
    TRUE
FROM incidents i
JOIN incident_imports m ON m.incident_id = i.id
WHERE i.status = 'new' AND i.entered_in_error_at IS NULL;

UPDATE incidents
SET status = 'closed',
    closed_at = (SELECT m.imported_at FROM incident_imports m WHERE m.incident_id = incidents.id),
    outcome = 'Imported from the school''s earlier log.'
        || CASE WHEN trim(actions_taken) = '' THEN ''
           ELSE chr(10) || 'Actions and Outcome in that log: ' || trim(actions_taken) END,
    version = version + 1,
    updated_at = (now() AT TIME ZONE 'UTC')
WHERE status = 'new'
  AND entered_in_error_at IS NULL
  AND id IN (SELECT incident_id FROM incident_imports);
