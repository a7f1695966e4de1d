DROP TABLE referrals;
DROP TRIGGER incident_events_no_change ON incident_events;
DROP FUNCTION incident_events_append_only();
DROP TABLE incident_events;
DROP TABLE incident_pupils;
DROP TABLE incident_imports;
DROP TABLE incidents;
DROP TABLE pupils;
DROP TABLE categories;
