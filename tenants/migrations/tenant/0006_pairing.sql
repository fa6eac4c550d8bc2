-- Pairing: a pairing profile says what a newly paired host becomes (its
-- labels and enforcement mode) and what the install tokens minted from it
-- allow (how many pairings, for how long). A token's clear text is shown
-- once, at creation; only the SHA-256 of the whole token string is kept.

CREATE TABLE pairing_profiles (
    id               uuid PRIMARY KEY,
    name             text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    enforcement_mode text NOT NULL CHECK (enforcement_mode IN ('idle', 'visibility_only', 'selective', 'full')),
    max_uses         integer CHECK (max_uses > 0),                        -- NULL: unlimited
    lifetime         integer NOT NULL CHECK (lifetime > 0 AND lifetime <= 31536000), -- seconds; at most 365 days
    revision         bigint NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- Names are unique ignoring case, as policy objects' names are.
CREATE UNIQUE INDEX pairing_profiles_name ON pairing_profiles (lower(name));

-- One label per key per profile, by construction, as for workloads. The
-- foreign key to labels makes a label a profile gives impossible to delete.
CREATE TABLE pairing_profile_labels (
    profile_id uuid NOT NULL REFERENCES pairing_profiles (id) ON DELETE CASCADE,
    key        text NOT NULL,
    label_id   uuid NOT NULL,
    PRIMARY KEY (profile_id, key),
    FOREIGN KEY (label_id, key) REFERENCES labels (id, key)
);
CREATE INDEX pairing_profile_labels_label ON pairing_profile_labels (label_id);

-- An install token. max_uses and expires_at are fixed when it is minted
-- (copied from its profile then): editing the profile later changes what
-- new tokens allow, never what a token already handed out allows. A
-- pairing locks the row FOR UPDATE, so concurrent pairings with one token
-- count its uses one at a time.
CREATE TABLE pairing_tokens (
    id             uuid PRIMARY KEY,
    profile_id     uuid NOT NULL REFERENCES pairing_profiles (id) ON DELETE CASCADE,
    secret_hash    bytea NOT NULL CHECK (length(secret_hash) = 32),
    max_uses       integer CHECK (max_uses > 0),                     -- NULL: unlimited
    uses           integer NOT NULL DEFAULT 0 CHECK (uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     uuid, -- the user who minted it, NULL when an API key did
    created_by_key uuid, -- the API key that minted it, NULL when a user did
    last_used_at   timestamptz
);
CREATE INDEX pairing_tokens_profile ON pairing_tokens (profile_id, created_at, id);
