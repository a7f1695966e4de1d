DROP TABLE pupil_exclusions;
