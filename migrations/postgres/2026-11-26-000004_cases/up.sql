-- The case workflow: alerts on each person's dashboard (the email copy is
-- in the outbox), and the once-only overdue reminder of an incident.

CREATE TABLE alerts (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools(id),
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('new_incident', 'escalated', 'assigned', 'overdue')),
    created_at TIMESTAMP NOT NULL,
    seen_at TIMESTAMP
);
CREATE INDEX alerts_user ON alerts (user_id, seen_at, created_at);

-- One row per incident that has had its overdue reminder: the primary key
-- makes "once" hold across several instances.
CREATE TABLE reminders (
    incident_id TEXT PRIMARY KEY NOT NULL REFERENCES incidents(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    sent_at TIMESTAMP NOT NULL
);
