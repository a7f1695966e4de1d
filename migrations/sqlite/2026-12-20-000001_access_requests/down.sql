DROP TABLE access_request_releases;
DROP TABLE access_request_redactions;
DROP TABLE access_request_events;
DROP TABLE access_requests;
