package directory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

var postgresDialect = &dialect{
	name: "postgres",
	// Transaction-scoped, keyed by schema so that isolated schemas (tests,
	// several deployments in one database) do not wait for each other.
	migrateLock: `SELECT pg_advisory_xact_lock(hashtext('olflow.directory.migrate:' || current_schema()))`,
	migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
	migrationsTableExists: `SELECT to_regclass('schema_migrations') IS NOT NULL`,
	timeArg: func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return normTime(t)
	},
	// One array parameter per column: the statement text and its plan do not
	// depend on the row count, and pgx sends the arrays in binary.
	unnest:     true,
	inIDs:      func(n int) string { return fmt.Sprintf("= ANY($%d::bigint[])", n) },
	idsPerStmt: 64,
	idsArg:     func(ids []int64) any { return ids },
	// Autovacuum analyzes a table only a while after it grows; the first sync
	// fills empty tables far faster than that, and plans made from empty-table
	// statistics scan whole tables.
	analyzeTable: "ANALYZE",
	analyze:      "ANALYZE users, user_roles, groups, roles, apps",
}

// OpenPostgres connects to PostgreSQL (a postgres:// URL or key=value DSN;
// search_path and other run-time parameters may be given in it) and applies
// migrations.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (Store, error) {
	o := OpenOptions{Migrate: true, Now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return openPostgres(ctx, dsn, o)
}

func openPostgres(ctx context.Context, dsn string, o OpenOptions) (Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn) // its errors redact the password
	if err != nil {
		return nil, fmt.Errorf("directory: postgres: %w", err)
	}
	switch {
	case o.MaxConns > 0:
		cfg.MaxConns = int32(min(o.MaxConns, 1<<20))
	case !strings.Contains(dsn, "pool_max_conns"):
		cfg.MaxConns = defaultMaxConns
	}
	// Connections opened together would otherwise all expire together.
	if !strings.Contains(dsn, "pool_max_conn_lifetime_jitter") {
		cfg.MaxConnLifetimeJitter = cfg.MaxConnLifetime / 10
	}
	// pgx prepares every statement. After five runs PostgreSQL may switch a
	// prepared statement to a generic plan and keep it; one made while a table
	// was nearly empty (during a first sync) scans the table on every page.
	// Planning each execution costs microseconds; a DSN may override this.
	if _, set := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !set {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("directory: postgres: %w", err)
	}
	return newSQLStore(ctx, newPgDB(pool), postgresDialect, o)
}
