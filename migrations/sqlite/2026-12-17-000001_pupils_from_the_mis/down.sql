DROP TABLE pupil_drop_runs;
DROP INDEX pupils_mis_id;
ALTER TABLE pupils DROP COLUMN nhs_number;
ALTER TABLE pupils DROP COLUMN child_identifier;
ALTER TABLE pupils DROP COLUMN left_at;
ALTER TABLE pupils DROP COLUMN mis_id;
