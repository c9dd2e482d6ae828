package directory

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Open opens the store named by dsn:
//
//	postgres://user@host:5432/db?sslmode=disable  PostgreSQL (also postgresql://)
//	sqlite:///var/lib/olflow/directory.db        SQLite file (absolute path)
//	sqlite://directory.db                        SQLite file (relative path)
//	sqlite::memory:                              private in-memory SQLite
//	/var/lib/olflow/directory.db                 a plain path is a SQLite file
func Open(ctx context.Context, dsn string, opts ...Option) (Store, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return OpenPostgres(ctx, dsn, opts...)
	case dsn == "sqlite::memory:", dsn == MemoryPath:
		return OpenSQLite(ctx, MemoryPath, opts...)
	case strings.HasPrefix(dsn, "sqlite://"):
		return OpenSQLite(ctx, strings.TrimPrefix(dsn, "sqlite://"), opts...)
	case strings.HasPrefix(dsn, "sqlite:"):
		return OpenSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), opts...)
	case dsn == "":
		return nil, errors.New("directory: empty DSN")
	case strings.Contains(dsn, "://"):
		// Name the scheme only: the rest may hold a password.
		return nil, errors.New("directory: unsupported DSN scheme " + strings.SplitN(dsn, "://", 2)[0])
	default:
		return OpenSQLite(ctx, dsn, opts...)
	}
}

// Option adjusts a store.
type Option func(*options)

type options struct {
	now      func() time.Time
	maxConns int
}

func newOptions(opts []Option) *options {
	o := &options{now: time.Now, maxConns: 8}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithClock sets the store's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithMaxConns bounds the open connections (default 8; in-memory SQLite
// always uses one).
func WithMaxConns(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxConns = n
		}
	}
}
