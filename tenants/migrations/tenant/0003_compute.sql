-- Compute: the tenant's generations. Every write that can change what is
-- enforced (a provision or rollback, a workload created, changed or
-- deleted) bumps desired_generation in its own transaction; the compute
-- workers record in computed_generation the generation their results
-- answer. Postgres is the truth: a tenant whose computed generation lags
-- its desired one is recomputed, whatever Redis lost.
CREATE TABLE compute_state (
    singleton           boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    desired_generation  bigint NOT NULL DEFAULT 0,
    computed_generation bigint NOT NULL DEFAULT 0,
    changed_at          timestamptz NOT NULL DEFAULT now(),
    computed_at         timestamptz
);
INSERT INTO compute_state DEFAULT VALUES;
