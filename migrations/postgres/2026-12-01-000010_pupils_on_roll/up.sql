-- The school roll: pupils imported from the school's information system
-- (the pupil-list upload or `safelog import pupils`) carry the time they were
-- last imported. Staff choose from the roll; a pupil known only from
-- incidents (typed as a new pupil when logging, or from the old
-- spreadsheet) is known only to those who may read one of those incidents.
ALTER TABLE pupils ADD COLUMN on_roll_at TIMESTAMP NULL;
-- A pupil with a UPN or a date of birth came from a pupil list: those are
-- the only fields a list brings that logging an incident never sets.
UPDATE pupils SET on_roll_at = updated_at WHERE upn IS NOT NULL OR date_of_birth IS NOT NULL;
