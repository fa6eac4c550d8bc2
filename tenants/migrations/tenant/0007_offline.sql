-- A managed workload whose VEN has been silent past the offline timeout is
-- offline: the compiler leaves its addresses out of every set (they may
-- belong to someone else by now), while its own document stays.
ALTER TABLE workloads ADD COLUMN offline boolean NOT NULL DEFAULT false;
