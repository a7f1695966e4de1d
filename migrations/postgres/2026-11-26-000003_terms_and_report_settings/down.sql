ALTER TABLE schools DROP COLUMN pickup_school_days;
ALTER TABLE schools DROP COLUMN report_min_count;
DROP TABLE terms;
