-- When the mail worker last tried to deliver each email, so an administrator
-- can see how long mail has been failing and last_delivery_error can name the
-- most recent failure without guessing from next_attempt_at.
ALTER TABLE outbox ADD COLUMN last_attempt_at TIMESTAMP;
