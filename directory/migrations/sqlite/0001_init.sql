-- Directory store schema, SQLite. Timestamps are UTC text in the fixed-width
-- layout 2006-01-02T15:04:05.000000Z so they sort as text. Keep in step with
-- ../postgres/0001_init.sql: same tables, columns and indexes.

CREATE TABLE integrations (
    id                       TEXT PRIMARY KEY,
    subdomain                TEXT NOT NULL,
    region                   TEXT NOT NULL,
    client_id                TEXT NOT NULL,
    client_secret            TEXT NOT NULL, -- seal.Sealed text form: ciphertext only
    scope_level              TEXT NOT NULL,
    status                   TEXT NOT NULL,
    status_message           TEXT NOT NULL,
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL,
    last_full_sync_at        TEXT,
    last_incremental_sync_at TEXT,
    users_watermark          TEXT,
    -- Bumped by every directory write; orders writes against sync run starts.
    write_seq                INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sync_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    run_key        TEXT NOT NULL,
    mode           TEXT NOT NULL,
    status         TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    start_seq      INTEGER NOT NULL,
    onelogin_calls INTEGER NOT NULL DEFAULT 0,
    error_code     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_integration ON sync_runs (integration_id, id);
CREATE UNIQUE INDEX sync_runs_key ON sync_runs (integration_id, run_key) WHERE run_key <> '';

CREATE TABLE sync_run_kinds (
    run_id        INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    seen          INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    deleted       INTEGER NOT NULL DEFAULT 0,
    read_complete BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (run_id, kind)
);

-- Synced tables share the bookkeeping columns after the content columns:
-- content_hash (change detection), created_run / changed_run / last_seen_run
-- (sync run ids, 0 for none), touched_seq (integrations.write_seq of the last
-- write), created_at / changed_at / seen_at, deleted_at (soft delete) and
-- deleted_run.

CREATE TABLE users (
    integration_id    TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    onelogin_id       INTEGER NOT NULL,
    email             TEXT NOT NULL,
    email_key         TEXT NOT NULL, -- lower-cased email for case-insensitive lookup
    username          TEXT NOT NULL,
    firstname         TEXT NOT NULL,
    lastname          TEXT NOT NULL,
    title             TEXT NOT NULL,
    department        TEXT NOT NULL,
    company           TEXT NOT NULL,
    phone             TEXT NOT NULL,
    status            TEXT NOT NULL,
    state             INTEGER NOT NULL,
    group_id          INTEGER NOT NULL,
    manager_id        INTEGER NOT NULL,
    custom_attributes TEXT, -- JSON
    ol_created_at     TEXT,
    ol_updated_at     TEXT,
    last_login        TEXT,
    content_hash      BLOB NOT NULL,
    created_run       INTEGER NOT NULL,
    changed_run       INTEGER NOT NULL,
    last_seen_run     INTEGER NOT NULL,
    touched_seq       INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    changed_at        TEXT NOT NULL,
    seen_at           TEXT NOT NULL,
    deleted_at        TEXT,
    deleted_run       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (integration_id, onelogin_id)
);
CREATE INDEX users_email ON users (integration_id, email_key);
CREATE INDEX users_username ON users (integration_id, username);
CREATE INDEX users_group ON users (integration_id, group_id);
CREATE INDEX users_manager ON users (integration_id, manager_id);

CREATE TABLE user_roles (
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL,
    role_id        INTEGER NOT NULL,
    PRIMARY KEY (integration_id, user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (integration_id, role_id);

CREATE TABLE groups (
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    onelogin_id    INTEGER NOT NULL,
    name           TEXT NOT NULL,
    content_hash   BLOB NOT NULL,
    created_run    INTEGER NOT NULL,
    changed_run    INTEGER NOT NULL,
    last_seen_run  INTEGER NOT NULL,
    touched_seq    INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    changed_at     TEXT NOT NULL,
    seen_at        TEXT NOT NULL,
    deleted_at     TEXT,
    deleted_run    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (integration_id, onelogin_id)
);

CREATE TABLE roles (
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    onelogin_id    INTEGER NOT NULL,
    name           TEXT NOT NULL,
    content_hash   BLOB NOT NULL,
    created_run    INTEGER NOT NULL,
    changed_run    INTEGER NOT NULL,
    last_seen_run  INTEGER NOT NULL,
    touched_seq    INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    changed_at     TEXT NOT NULL,
    seen_at        TEXT NOT NULL,
    deleted_at     TEXT,
    deleted_run    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (integration_id, onelogin_id)
);

CREATE TABLE apps (
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    onelogin_id    INTEGER NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL,
    connector_id   INTEGER NOT NULL,
    auth_method    INTEGER NOT NULL,
    icon_url       TEXT NOT NULL,
    visible        BOOLEAN NOT NULL,
    ol_created_at  TEXT,
    ol_updated_at  TEXT,
    content_hash   BLOB NOT NULL,
    created_run    INTEGER NOT NULL,
    changed_run    INTEGER NOT NULL,
    last_seen_run  INTEGER NOT NULL,
    touched_seq    INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    changed_at     TEXT NOT NULL,
    seen_at        TEXT NOT NULL,
    deleted_at     TEXT,
    deleted_run    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (integration_id, onelogin_id)
);

-- Audit entries are records of what was done: no cascade deletes them.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id TEXT NOT NULL REFERENCES integrations (id),
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX audit_log_integration ON audit_log (integration_id, id);
CREATE UNIQUE INDEX audit_log_request ON audit_log (integration_id, request_id, action) WHERE request_id <> '';

CREATE TABLE audit_targets (
    audit_id   INTEGER NOT NULL REFERENCES audit_log (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    outcome    TEXT NOT NULL,
    error_code TEXT NOT NULL,
    PRIMARY KEY (audit_id, position)
);
CREATE INDEX audit_targets_user ON audit_targets (user_id, audit_id);
