-- Nothing to undo: the timeline is append-only, and the entries this
-- migration added say what happened. A lead reopens a case that should be
-- open, with a reason, like any closed case.
SELECT 1;
