package directory

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenDSNForms(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, dsn := range []string{
		"sqlite://" + filepath.Join(dir, "a.db"),
		"sqlite:" + filepath.Join(dir, "b.db"),
		filepath.Join(dir, "c.db"),
		"sqlite::memory:",
		":memory:",
	} {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		ok(t, s.PutIntegration(ctx, Integration{ID: "x", Region: "us", Status: StatusConnected}))
		ok(t, s.Close())
	}
	for _, f := range []string{"a.db", "b.db", "c.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not created: %v", f, err)
		}
	}
}

func TestOpenErrorsHidePasswords(t *testing.T) {
	ctx := context.Background()
	const pw = "s3cr3t-dsn-password"
	for _, dsn := range []string{
		"mysql://user:" + pw + "@db/x",
		"postgres://user:" + pw + "@127.0.0.1:1/x?connect_timeout=2",
		"postgres://user:" + pw + "@127.0.0.1:1/x?sslmode=bogus",
		"",
	} {
		s, err := Open(ctx, dsn)
		if err == nil {
			_ = s.Close()
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("error leaks the DSN password: %v", err)
		}
	}
}

// TestSQLitePageCacheWithinBudget: every connection of a SQLite file store
// has the configured page cache, and a full pool of warm caches stays within
// the store's share of a worker's memory goal (100 MB resident). modernc
// allocates each cached page in a slot of twice the page size, outside the
// Go heap, so a larger cache or pool shows only in the worker's RSS.
func TestSQLitePageCacheWithinBudget(t *testing.T) {
	const budget = 40 << 20
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "d.db"))
	ok(t, err)
	defer func() { _ = s.Close() }()
	db := s.(*sqlStore).db.(*sqlDB).db
	n := db.Stats().MaxOpenConnections
	if n != defaultMaxConns {
		t.Errorf("pool of %d connections, want the default %d", n, defaultMaxConns)
	}
	total := 0
	for range n { // held until the end: n distinct connections
		c, err := db.Conn(ctx)
		ok(t, err)
		defer func() { _ = c.Close() }()
		var cache, pageSize int
		ok(t, c.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache))
		ok(t, c.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize))
		if cache != -sqliteCacheKiB {
			t.Fatalf("cache_size %d, want %d", cache, -sqliteCacheKiB)
		}
		total += -cache << 10 / pageSize * 2 * pageSize
	}
	if total > budget {
		t.Errorf("%d connections × %d KiB of page cache take %d MiB, over the budget of %d MiB",
			n, sqliteCacheKiB, total>>20, budget>>20)
	}
}
