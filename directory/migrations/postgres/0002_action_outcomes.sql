-- Keep in step with ../sqlite/0002_action_outcomes.sql.

-- Synced tables drop their foreign key to integrations: PostgreSQL checks it
-- with one trigger query per inserted row, which cost more than the insert
-- itself, and every directory write already locks the integration row first
-- (integrations.write_seq), so the row is known to exist.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_integration_id_fkey;
ALTER TABLE user_roles DROP CONSTRAINT IF EXISTS user_roles_integration_id_fkey;
ALTER TABLE groups DROP CONSTRAINT IF EXISTS groups_integration_id_fkey;
ALTER TABLE roles DROP CONSTRAINT IF EXISTS roles_integration_id_fkey;
ALTER TABLE apps DROP CONSTRAINT IF EXISTS apps_integration_id_fkey;

-- Every sync stamps every user it reads (last_seen_run, seen_at,
-- touched_seq), none of them indexed. With room left on each page those
-- updates are heap-only (HOT): no index entries are written. Applies to pages
-- written from now on.
ALTER TABLE users SET (fillfactor = 70);

-- Per-user outcomes of bulk actions, outside workflow history: one row per
-- (integration, request, user), overwritten until its outcome is final.
-- No foreign key, for the same reason; writers check the integration.
CREATE TABLE action_outcomes (
    integration_id TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    user_id        BIGINT NOT NULL,
    action         TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    error_code     TEXT NOT NULL,
    message        TEXT NOT NULL,
    chunk          BIGINT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (integration_id, request_id, user_id)
);
-- Paging through one outcome kind (the failures) without reading the rest.
CREATE INDEX action_outcomes_outcome ON action_outcomes (integration_id, request_id, outcome, user_id);
