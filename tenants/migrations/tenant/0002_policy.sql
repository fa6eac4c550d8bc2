-- Policy: label dimensions and labels, workloads (not versioned), and the
-- versioned objects (label groups, services, IP lists, rulesets) as JSON
-- documents in the draft and in every provisioned version.

-- revisions numbers every write of an editable object; a row's revision is
-- its ETag. A revert or rollback restores an old row with its old revision:
-- equal revisions mean equal content.
CREATE SEQUENCE revisions;

CREATE TABLE label_dimensions (
    key        text PRIMARY KEY,
    builtin    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO label_dimensions (key, builtin) VALUES ('role', true), ('app', true), ('env', true), ('loc', true);

CREATE TABLE labels (
    id         uuid PRIMARY KEY,
    key        text NOT NULL REFERENCES label_dimensions (key),
    value      text NOT NULL,
    revision   bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (key, value),
    -- The target of workload_labels' foreign key: a workload's label of key
    -- k really has key k.
    UNIQUE (id, key)
);

CREATE TABLE workloads (
    id               uuid PRIMARY KEY,
    name             text NOT NULL,
    hostname         text NOT NULL DEFAULT '',
    interfaces       jsonb NOT NULL DEFAULT '[]',
    enforcement_mode text NOT NULL,
    managed          boolean NOT NULL DEFAULT false,
    revision         bigint NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One label per key per workload, by construction.
CREATE TABLE workload_labels (
    workload_id uuid NOT NULL REFERENCES workloads (id) ON DELETE CASCADE,
    key         text NOT NULL,
    label_id    uuid NOT NULL,
    PRIMARY KEY (workload_id, key),
    FOREIGN KEY (label_id, key) REFERENCES labels (id, key)
);
CREATE INDEX workload_labels_label ON workload_labels (label_id);

-- Every address of every interface, to find a flow's source workload by IP.
CREATE TABLE workload_addresses (
    workload_id uuid NOT NULL REFERENCES workloads (id) ON DELETE CASCADE,
    addr        inet NOT NULL,
    PRIMARY KEY (workload_id, addr)
);
CREATE INDEX workload_addresses_addr ON workload_addresses (addr);

-- policy_head is the one row every policy write locks: writes to the draft,
-- provisions, reverts and rollbacks serialize on it, so a version is always
-- a consistent copy and version numbers are gapless. active is 0 until the
-- first provision.
CREATE TABLE policy_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    active    integer NOT NULL DEFAULT 0
);
INSERT INTO policy_head DEFAULT VALUES;

CREATE TABLE draft_objects (
    kind       text NOT NULL,
    id         uuid NOT NULL,
    name       text NOT NULL,
    doc        jsonb NOT NULL,
    revision   bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX draft_objects_name ON draft_objects (kind, lower(name));

CREATE TABLE policy_versions (
    version        integer PRIMARY KEY CHECK (version > 0),
    note           text NOT NULL,
    provisioned_at timestamptz NOT NULL DEFAULT now(),
    provisioned_by uuid,
    api_key        uuid,
    rollback_of    integer REFERENCES policy_versions (version),
    added          integer NOT NULL,
    changed        integer NOT NULL,
    removed        integer NOT NULL
);

-- Each version holds a full copy of its objects: immutable, and read with
-- one index range scan.
CREATE TABLE version_objects (
    version    integer NOT NULL REFERENCES policy_versions (version),
    kind       text NOT NULL,
    id         uuid NOT NULL,
    name       text NOT NULL,
    doc        jsonb NOT NULL,
    revision   bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (version, kind, id)
);
