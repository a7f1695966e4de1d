-- "Open at the end of term" counts the incidents not closed by the term's
-- end: those never closed (closed_at IS NULL) and those closed after it
-- (closed_at >= end). Led by closed_at, this index reads only those two
-- stretches of a school's incidents instead of its whole history up to
-- the term (incidents_school_counted); the never-closed ones come in
-- counted_on order, so that stretch stops at the term's last day. The
-- other columns ride along so that the count is answered from the index
-- alone.
CREATE INDEX incidents_school_closed_counted
    ON incidents (school_id, closed_at, counted_on, logged_at, entered_in_error_at);
