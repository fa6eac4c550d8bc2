-- Whether each VEN is online: cleared by the offline sweep when it has
-- been silent past the timeout, set again by its next heartbeat.
ALTER TABLE vens ADD COLUMN online boolean NOT NULL DEFAULT true;
