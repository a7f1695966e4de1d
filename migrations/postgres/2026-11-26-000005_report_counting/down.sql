DROP TRIGGER report_publications_no_change ON report_publications;
DROP FUNCTION report_publications_append_only();
DROP TABLE report_publications;
DROP TABLE report_commentaries;
DROP INDEX incidents_school_counted;
ALTER TABLE incidents DROP CONSTRAINT incidents_counted_on;
ALTER TABLE incidents DROP COLUMN counted_on;
