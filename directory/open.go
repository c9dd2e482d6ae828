package directory

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Open opens the store named by dsn and applies pending migrations, as
// OpenWith does with Migrate set:
//
//	postgres://user@host:5432/db?sslmode=disable  PostgreSQL (also postgresql://)
//	sqlite:///var/lib/olflow/directory.db        SQLite file (absolute path)
//	sqlite://directory.db                        SQLite file (relative path)
//	sqlite::memory:                              private in-memory SQLite
//	/var/lib/olflow/directory.db                 a plain path is a SQLite file
//
// A PostgreSQL DSN may carry pgxpool's settings: pool_max_conns,
// pool_min_conns, pool_max_conn_lifetime, pool_max_conn_lifetime_jitter,
// pool_max_conn_idle_time and pool_health_check_period.
func Open(ctx context.Context, dsn string, opts ...Option) (Store, error) {
	o := OpenOptions{Migrate: true}
	for _, opt := range opts {
		opt(&o)
	}
	return OpenWith(ctx, dsn, o)
}

// OpenOptions configures OpenWith.
type OpenOptions struct {
	// MaxConns bounds the open connections. Zero means the DSN's
	// pool_max_conns for PostgreSQL, else 8. In-memory SQLite always uses one.
	MaxConns int
	// Migrate applies pending schema migrations while opening. Without it,
	// opening a database whose schema is missing or older than this build
	// fails with ErrSchemaOutdated, and no DDL runs.
	Migrate bool
	// Now is the store's clock; nil means time.Now.
	Now func() time.Time
}

// ErrSchemaOutdated reports a database whose schema this build cannot use
// until migrations are applied (olflow migrate, or Migrate).
var ErrSchemaOutdated = errors.New("directory: database schema is not up to date (run `olflow migrate`)")

// OpenWith opens the store named by dsn (see Open for the forms).
func OpenWith(ctx context.Context, dsn string, o OpenOptions) (Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case IsPostgres(dsn):
		return openPostgres(ctx, dsn, o)
	case dsn == "sqlite::memory:", dsn == MemoryPath:
		return openSQLite(ctx, MemoryPath, o)
	case strings.HasPrefix(dsn, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite://"), o)
	case strings.HasPrefix(dsn, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), o)
	case dsn == "":
		return nil, errors.New("directory: empty DSN")
	case strings.Contains(dsn, "://"):
		// Name the scheme only: the rest may hold a password.
		return nil, errors.New("directory: unsupported DSN scheme " + strings.SplitN(dsn, "://", 2)[0])
	default:
		return openSQLite(ctx, dsn, o)
	}
}

// IsPostgres reports whether dsn names a PostgreSQL store.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Migrate applies the pending schema migrations of the database named by
// dsn and returns the names of those it applied (none when the schema is
// current). Concurrent callers apply each migration once.
func Migrate(ctx context.Context, dsn string) ([]string, error) {
	s, err := OpenWith(ctx, dsn, OpenOptions{Migrate: true})
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.Close() }()
	return s.(*sqlStore).applied, nil
}

// Option adjusts Open.
type Option func(*OpenOptions)

// WithClock sets the store's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *OpenOptions) { o.Now = now } }

// WithMaxConns bounds the open connections (see OpenOptions.MaxConns).
func WithMaxConns(n int) Option {
	return func(o *OpenOptions) {
		if n > 0 {
			o.MaxConns = n
		}
	}
}

// defaultMaxConns is the pool size when neither the options nor the DSN
// give one.
const defaultMaxConns = 8
