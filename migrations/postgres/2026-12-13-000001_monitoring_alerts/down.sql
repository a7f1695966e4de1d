DROP TABLE monitoring_alerts;
DROP TABLE monitoring_settings;
DROP TABLE monitoring_severities;
DROP TABLE monitoring_keys;
