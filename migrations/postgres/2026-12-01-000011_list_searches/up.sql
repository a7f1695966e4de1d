-- The incident list's typed search (free text, a pupil's name) is kept here
-- for a short while, for one session, and the list's address carries only
-- this row's id: a typed name never reaches an address bar, browser history
-- or a proxy's log. Expired rows are removed when their owner searches again.
CREATE TABLE list_searches (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    session_id TEXT NOT NULL,
    typed TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX list_searches_user_expires ON list_searches (user_id, expires_at);
