-- A tenant's own schema. Policy, workloads and events arrive in later
-- migrations; the settings row is the tenant-wide switches.

CREATE TABLE settings (
    singleton            boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    outbound_enforcement boolean NOT NULL DEFAULT false,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings DEFAULT VALUES;
