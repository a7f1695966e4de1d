DROP TRIGGER report_publications_no_delete;
DROP TRIGGER report_publications_no_update;
DROP TABLE report_publications;
DROP TABLE report_commentaries;
DROP TRIGGER incidents_counted_on_update;
DROP TRIGGER incidents_counted_on_insert;
DROP INDEX incidents_school_counted;
ALTER TABLE incidents DROP COLUMN counted_on;
