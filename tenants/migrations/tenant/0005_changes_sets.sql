-- The compute change feed and shared sets.
--
-- compute_changes: one row per desired generation, written by the write
-- that bumped it, naming what changed (the policy, and/or workloads). A
-- worker that holds a tenant's graph in memory at generation g reads the
-- rows after g and applies just those; when a row it needs is gone
-- (pruned) it rebuilds from a snapshot. Rows are pruned well behind the
-- computed generation.
CREATE TABLE compute_changes (
    generation bigint PRIMARY KEY,
    policy     boolean NOT NULL DEFAULT false,
    workloads  uuid[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- compute_sets and compute_set_members: each shared IP set named by a
-- document, apart from the documents that name it, a row per member, so a
-- workload born adds one member row (and its own document), not a rewrite
-- of every document or of the whole set. generation is when the members
-- last changed.
CREATE TABLE compute_sets (
    set_id     text PRIMARY KEY,
    generation bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE compute_set_members (
    set_id text NOT NULL REFERENCES compute_sets ON DELETE CASCADE,
    prefix text NOT NULL, -- canonical netip form: 10.0.0.1/32, fd00::/64
    PRIMARY KEY (set_id, prefix)
);

-- Documents now hold their rules and the ids of the sets they name, not
-- the members. Drop the old full documents and let the reconciler have
-- them computed again in the new form.
DELETE FROM workload_documents;
UPDATE compute_state SET computed_generation = 0, computed_at = NULL;
