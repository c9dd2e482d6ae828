package directory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// backend gives each test a fresh, isolated database as a DSN for Open.
type backend struct {
	name string
	// shared reports whether two Opens of one DSN reach the same database
	// (false for in-memory SQLite).
	shared bool
	dsn    func(t testing.TB) string
}

var backends = []backend{
	{name: "sqlite-file", shared: true, dsn: func(t testing.TB) string {
		return "sqlite://" + filepath.Join(t.TempDir(), "directory.db")
	}},
	{name: "sqlite-memory", dsn: func(testing.TB) string { return "sqlite::memory:" }},
	{name: "postgres", shared: true, dsn: postgresDSN},
}

const defaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	pgOnce sync.Once
	pgErr  error
)

// postgresDSN creates a uniquely named schema, returns a DSN whose
// search_path selects it, and drops it when the test ends, so tests and
// packages running in parallel never see each other's tables. Without a
// reachable server the test is skipped, or fails when CI=true.
func postgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("OLFLOW_TEST_POSTGRES_DSN")
	if base == "" {
		base = defaultPostgresDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pgOnce.Do(func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			err = c.Ping(ctx)
			_ = c.Close(ctx)
		}
		pgErr = err
	})
	if pgErr != nil {
		msg := "PostgreSQL unreachable (set OLFLOW_TEST_POSTGRES_DSN; .ci/run starts one): " + pgErr.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "olflow_test_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openStore opens dsn and closes the store when the test ends.
func openStore(t testing.TB, dsn string, opts ...Option) Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// forEachBackend runs fn as a subtest per backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}
