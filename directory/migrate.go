package directory

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// migrationFiles holds one directory per dialect of files named
// NNNN_description.sql, applied in version order, each once.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int64
	name    string
	body    string
}

func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("directory: migration %s: want NNNN_name.sql", e.Name())
		}
		if len(ms) > 0 && ms[len(ms)-1].version >= v {
			return nil, fmt.Errorf("directory: migration %s: version not increasing", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), body: string(body)})
	}
	return ms, nil
}

// migrate applies pending migrations in one transaction. The dialect's lock
// (or SQLite's BEGIN IMMEDIATE) makes concurrent openers wait, and each then
// finds the versions already recorded, so every migration runs exactly once.
// It returns the names of the migrations it applied.
func migrate(ctx context.Context, d db, dl *dialect, now func() time.Time) ([]string, error) {
	ms, err := loadMigrations(dl.name)
	if err != nil {
		return nil, err
	}
	var applied []string
	err = d.inTx(ctx, func(c conn) error {
		applied = applied[:0] // a retried transaction starts over
		if dl.migrateLock != "" {
			if _, err := c.exec(ctx, dl.migrateLock); err != nil {
				return err
			}
		}
		if _, err := c.exec(ctx, dl.migrationsTable); err != nil {
			return err
		}
		done := map[int64]bool{}
		rs, err := c.query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var v int64
			if err := rs.Scan(&v); err != nil {
				return err
			}
			done[v] = true
		}
		if err := rs.Err(); err != nil {
			return err
		}
		rs.Close()
		for _, m := range ms {
			if done[m.version] {
				continue
			}
			if _, err := c.exec(ctx, m.body); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, dl.timeArg(now())); err != nil {
				return err
			}
			applied = append(applied, m.name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("directory: migrate %s: %w", dl.name, err)
	}
	return applied, nil
}

// checkSchema fails with ErrSchemaOutdated unless every migration of this
// build is applied. It runs no DDL. A schema that a newer build migrated
// further is accepted: migrations only add.
func checkSchema(ctx context.Context, d db, dl *dialect) error {
	ms, err := loadMigrations(dl.name)
	if err != nil {
		return err
	}
	done := map[int64]bool{}
	rs, err := d.query(ctx, `SELECT version FROM schema_migrations`)
	if err == nil {
		err = eachRow(rs, func(r row) error {
			var v int64
			err := r.Scan(&v)
			done[v] = true
			return err
		})
	}
	if err != nil {
		var exists bool
		if xerr := d.queryRow(ctx, dl.migrationsTableExists).Scan(&exists); xerr == nil && !exists {
			return fmt.Errorf("%w: no schema found", ErrSchemaOutdated)
		}
		return fmt.Errorf("directory: check schema: %w", err)
	}
	var missing []string
	for _, m := range ms {
		if !done[m.version] {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %d pending migration(s), first %s", ErrSchemaOutdated, len(missing), missing[0])
	}
	return nil
}
