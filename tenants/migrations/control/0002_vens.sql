-- The VEN channel: the hub's key, shared by every PCE replica so a VEN
-- reaches the same hub identity whichever replica answers its packets; and
-- the paired VENs of all tenants in one table, because the hub is shared:
-- a WireGuard key and a tunnel address identify one VEN platform-wide.
CREATE TABLE hub (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    private_key bytea NOT NULL CHECK (length(private_key) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Tunnel addresses are handed out in order and never reused, so a stale
-- peer entry on some replica can never route a new VEN's traffic as an
-- old one's. The /10 default holds four million.
CREATE SEQUENCE ven_address_seq MINVALUE 0 START 0;

CREATE TABLE vens (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workload_id         uuid NOT NULL UNIQUE,
    public_key          text NOT NULL UNIQUE,
    tunnel_address      inet NOT NULL UNIQUE,
    hostname            text NOT NULL,
    os                  text NOT NULL DEFAULT '',
    agent_version       text NOT NULL DEFAULT '',
    paired_at           timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz,
    enforced_generation bigint NOT NULL DEFAULT 0,
    enforced_hash       text NOT NULL DEFAULT '',
    counters            jsonb NOT NULL DEFAULT '{}',
    tampered_total      bigint NOT NULL DEFAULT 0
);
CREATE INDEX vens_tenant_page ON vens (tenant_id, paired_at, id);
