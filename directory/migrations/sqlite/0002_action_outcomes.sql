-- Keep in step with ../postgres/0002_action_outcomes.sql. There the synced
-- tables also drop their foreign key to integrations (a per-row trigger
-- query); SQLite checks it in process at little cost, and dropping it would
-- mean rebuilding each table.

-- Per-user outcomes of bulk actions, outside workflow history: one row per
-- (integration, request, user), overwritten until its outcome is final.
CREATE TABLE action_outcomes (
    integration_id TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    user_id        INTEGER NOT NULL,
    action         TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    error_code     TEXT NOT NULL,
    message        TEXT NOT NULL,
    chunk          INTEGER NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (integration_id, request_id, user_id)
);
-- Paging through one outcome kind (the failures) without reading the rest.
CREATE INDEX action_outcomes_outcome ON action_outcomes (integration_id, request_id, outcome, user_id);
