-- Webhook deliveries of all tenants in one queue, so dispatchers on any
-- replica claim due work with one query (FOR UPDATE SKIP LOCKED). A row is
-- one event for one webhook; its id is the webhook-id header of every
-- attempt, so receivers can drop duplicates (at-least-once delivery).
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    webhook_id      uuid NOT NULL,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (tenant_id, webhook_id, created_at, id);

CREATE TABLE webhook_attempts (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    delivery_id      uuid NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
    attempt          int NOT NULL,
    attempted_at     timestamptz NOT NULL DEFAULT now(),
    status_code      int,          -- NULL: no HTTP answer (refused, timeout, SSRF guard)
    error            text NOT NULL DEFAULT '',
    latency_ms       int NOT NULL,
    response_excerpt text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
