-- Keep in step with ../postgres/0003_action_targets.sql.

-- The users a bulk action resolved its targets to (groups, roles, explicit
-- users, less exclusions), recorded once per request so a retry, a
-- continue-as-new or a rerun of the request works the same set. Position
-- orders the set for chunking.
CREATE TABLE action_targets (
    integration_id TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    position       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    PRIMARY KEY (integration_id, request_id, position)
);
