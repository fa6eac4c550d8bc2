-- Events: the audit log and the outbox of webhook deliveries. Every state
-- change writes its event in the same transaction as the change (no event
-- without its change, no change without its event).
CREATE TABLE events (
    id         uuid PRIMARY KEY,
    type       text NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)+$'), -- resource.verb
    actor      jsonb NOT NULL,                                      -- {"type": "user"|"api_key"|"ven"|"system", "id": …}
    resource   jsonb NOT NULL,                                      -- {"type": …, "id": …}
    data       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX events_page ON events (created_at, id);
CREATE INDEX events_type ON events (type, created_at);

-- Webhooks: where a tenant's matching events are delivered. patterns are
-- the event_types globs as LIKE patterns ("workload.*" → 'workload.%'), so
-- the fan-out in the event's own transaction is one indexed-free scan of
-- a tenant's few webhooks. The signing secret is kept (it must be, to
-- sign); the previous one signs alongside until previous_until.
CREATE TABLE webhooks (
    id              uuid PRIMARY KEY,
    url             text NOT NULL,
    event_types     text[] NOT NULL,
    patterns        text[] NOT NULL,
    description     text NOT NULL DEFAULT '',
    enabled         boolean NOT NULL DEFAULT true,
    secret          bytea NOT NULL,
    previous_secret bytea,
    previous_until  timestamptz,
    failing_since   timestamptz,
    disabled_reason text,
    revision        bigint NOT NULL DEFAULT nextval('revisions'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
