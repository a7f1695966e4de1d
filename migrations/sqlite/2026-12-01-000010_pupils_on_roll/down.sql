ALTER TABLE pupils DROP COLUMN on_roll_at;
