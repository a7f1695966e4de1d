DROP TRIGGER incident_pupils_not_destroyed;
DROP TRIGGER referrals_not_destroyed;
DROP TRIGGER information_shares_not_destroyed;
DROP TRIGGER case_decisions_not_destroyed;
DROP TRIGGER attachments_not_destroyed;
DROP TRIGGER incident_events_not_destroyed;
DROP TRIGGER incident_events_no_update;
CREATE TRIGGER incident_events_no_update BEFORE UPDATE ON incident_events
BEGIN SELECT RAISE(ABORT, 'the incident timeline is append-only'); END;
DROP TABLE retention_placeholders;
DROP TABLE legal_hold_records;
DROP TABLE legal_holds;
DROP TABLE retention_periods;
DROP TABLE retention_decisions;
