package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

var postgresDialect = &dialect{
	name: "postgres",
	// Transaction-scoped, keyed by schema so that isolated schemas (tests,
	// several deployments in one database) do not wait for each other.
	migrateLock: `SELECT pg_advisory_xact_lock(hashtext('olflow.directory.migrate:' || current_schema()))`,
	migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
	timeArg: func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return normTime(t)
	},
	maxParams:   65535,
	batchParams: 16384,
	// Autovacuum analyzes a table only a while after it grows; the first sync
	// fills empty tables far faster than that, and plans made from empty-table
	// statistics scan whole tables.
	analyze: "ANALYZE users, user_roles, groups, roles, apps",
}

// OpenPostgres connects to PostgreSQL (a postgres:// URL or key=value DSN;
// search_path and other run-time parameters may be given in it) and applies
// migrations.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (Store, error) {
	o := newOptions(opts)
	cfg, err := pgx.ParseConfig(dsn) // its errors redact the password
	if err != nil {
		return nil, fmt.Errorf("directory: postgres: %w", err)
	}
	// pgx prepares every statement. After five runs PostgreSQL may switch a
	// prepared statement to a generic plan and keep it; one made while a table
	// was nearly empty (during a first sync) scans the table on every page.
	// Planning each execution costs microseconds; a DSN may override this.
	if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	return newSQLStore(ctx, newPgDB(cfg, o.maxConns), postgresDialect, o)
}
