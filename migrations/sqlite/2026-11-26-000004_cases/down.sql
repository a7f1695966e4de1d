DROP TABLE reminders;
DROP TABLE alerts;
