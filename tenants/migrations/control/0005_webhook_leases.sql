-- A delivery being sent is leased to the dispatcher that claimed it until
-- leased_until (next_attempt_at is moved to the same instant, so a
-- dispatcher that dies mid-send leaves the delivery due again when the
-- lease runs out). A redelivery asked for during a lease waits for it to
-- end, so one delivery is never sent twice at once. NULL: not in flight.
ALTER TABLE webhook_deliveries ADD COLUMN leased_until timestamptz;
