package directory

import (
	"context"
	"sync"
	"testing"
)

// TestConcurrentOpensMigrateOnce opens one fresh database from several
// goroutines at once: every Open succeeds and each migration is recorded once.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	want, err := loadMigrations("sqlite")
	ok(t, err)
	forEachBackend(t, func(t *testing.T, b backend) {
		if !b.shared {
			t.Skip("each in-memory open is a separate database")
		}
		dsn := b.dsn(t)
		const openers = 4
		stores := make([]Store, openers)
		errs := make([]error, openers)
		var wg sync.WaitGroup
		for i := range openers {
			wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn) })
		}
		wg.Wait()
		for i := range openers {
			ok(t, errs[i])
			t.Cleanup(func() { _ = stores[i].Close() })
		}
		var n, distinct int
		ok(t, stores[0].(*sqlStore).db.queryRow(context.Background(),
			`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct))
		if n != len(want) || distinct != len(want) {
			t.Fatalf("schema_migrations has %d rows (%d distinct), want %d", n, distinct, len(want))
		}
		if b.name == "sqlite-file" {
			var mode string
			ok(t, stores[0].(*sqlStore).db.queryRow(context.Background(), `PRAGMA journal_mode`).Scan(&mode))
			if mode != "wal" {
				t.Fatalf("journal mode %q, want wal", mode)
			}
		}
		// Reopening applies nothing.
		s := openStore(t, dsn)
		applied, err := migrate(context.Background(), s.(*sqlStore).db, s.(*sqlStore).d, s.(*sqlStore).now)
		ok(t, err)
		if len(applied) != 0 {
			t.Fatalf("reopen applied %v", applied)
		}
	})
}

// TestMigrationsMatch keeps the two dialects' migration sets in step.
func TestMigrationsMatch(t *testing.T) {
	lite, err := loadMigrations("sqlite")
	ok(t, err)
	pg, err := loadMigrations("postgres")
	ok(t, err)
	if len(lite) != len(pg) {
		t.Fatalf("%d sqlite migrations, %d postgres", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Errorf("migration %d: %s vs %s", i, lite[i].name, pg[i].name)
		}
	}
}
