package directory

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
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

// TestOpenWithoutMigrate: a process that does not migrate refuses a missing
// or outdated schema, names the fix, and runs no DDL; Migrate is the
// explicit step.
func TestOpenWithoutMigrate(t *testing.T) {
	ctx := context.Background()
	want, err := loadMigrations("sqlite")
	ok(t, err)
	forEachBackend(t, func(t *testing.T, b backend) {
		dsn := b.dsn(t)
		_, err := OpenWith(ctx, dsn, OpenOptions{})
		wantErr(t, err, ErrSchemaOutdated)
		if !strings.Contains(err.Error(), "olflow migrate") {
			t.Fatalf("error does not say what to run: %v", err)
		}
		if !b.shared {
			return // every in-memory open is a new, empty database
		}
		if path, isFile := strings.CutPrefix(dsn, "sqlite://"); isFile {
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatalf("open without migrate created the database file: %v", err)
			}
			ok(t, os.WriteFile(path, nil, 0o600)) // an empty file is an empty database
			_, err := OpenWith(ctx, dsn, OpenOptions{})
			wantErr(t, err, ErrSchemaOutdated)
		} else {
			assertNoTable(t, dsn, "schema_migrations")
		}

		applied, err := Migrate(ctx, dsn)
		ok(t, err)
		if len(applied) != len(want) || applied[0] != want[0].name {
			t.Fatalf("Migrate applied %v, want all of %d", applied, len(want))
		}
		again, err := Migrate(ctx, dsn)
		ok(t, err)
		if len(again) != 0 {
			t.Fatalf("second Migrate applied %v", again)
		}
		s, err := OpenWith(ctx, dsn, OpenOptions{})
		ok(t, err)
		ok(t, s.PutIntegration(ctx, Integration{ID: "a", Region: "us", Status: StatusConnected}))

		// A schema one migration behind (as after deploying a newer build).
		last := want[len(want)-1]
		_, err = s.(*sqlStore).db.exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, last.version)
		ok(t, err)
		ok(t, s.Close())
		_, err = OpenWith(ctx, dsn, OpenOptions{})
		wantErr(t, err, ErrSchemaOutdated)
		if !strings.Contains(err.Error(), last.name) {
			t.Fatalf("error does not name the pending migration: %v", err)
		}
	})
}

// assertNoTable checks, on PostgreSQL, that table does not exist in the
// DSN's schema.
func assertNoTable(t *testing.T, dsn, table string) {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	ok(t, err)
	defer c.Close(context.Background())
	var exists bool
	ok(t, c.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists))
	if exists {
		t.Fatalf("table %s was created", table)
	}
}

// TestPostgresPoolSize: the explicit option wins over the DSN's
// pool_max_conns, which wins over the default.
func TestPostgresPoolSize(t *testing.T) {
	ctx := context.Background()
	dsn := postgresDSN(t)
	for _, c := range []struct {
		dsn  string
		opt  int
		want int32
	}{
		{dsn, 0, defaultMaxConns},
		{dsn + "&pool_max_conns=5", 0, 5},
		{dsn + "&pool_max_conns=5", 3, 3},
		{dsn, 2, 2},
	} {
		s, err := OpenWith(ctx, c.dsn, OpenOptions{MaxConns: c.opt, Migrate: true})
		ok(t, err)
		cfg := s.(*sqlStore).db.(*pgDB).pool.Config()
		_ = s.Close()
		if cfg.MaxConns != c.want {
			t.Errorf("option %d, DSN %q: %d connections, want %d", c.opt, c.dsn[strings.Index(c.dsn, "&"):], cfg.MaxConns, c.want)
		}
		if cfg.MaxConnLifetimeJitter == 0 || cfg.HealthCheckPeriod == 0 {
			t.Errorf("lifetime jitter %v, health check period %v", cfg.MaxConnLifetimeJitter, cfg.HealthCheckPeriod)
		}
	}
}
