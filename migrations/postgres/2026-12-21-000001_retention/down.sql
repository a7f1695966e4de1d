DROP TRIGGER incident_pupils_not_destroyed ON incident_pupils;
DROP TRIGGER referrals_not_destroyed ON referrals;
DROP TRIGGER information_shares_not_destroyed ON information_shares;
DROP TRIGGER case_decisions_not_destroyed ON case_decisions;
DROP TRIGGER attachments_not_destroyed ON attachments;
DROP TRIGGER incident_events_not_destroyed ON incident_events;
DROP FUNCTION refuse_destroyed_record();
CREATE OR REPLACE FUNCTION incident_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the incident timeline is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TABLE retention_placeholders;
DROP TABLE legal_hold_records;
DROP FUNCTION legal_hold_records_append_only();
DROP TABLE legal_holds;
DROP FUNCTION legal_holds_lifted_once();
DROP TABLE retention_periods;
DROP TABLE retention_decisions;
DROP FUNCTION retention_decisions_append_only();
