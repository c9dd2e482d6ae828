package directory

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
)

// sqliteTimeLayout is fixed-width so that stored timestamps sort as text.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

var sqliteDialect = &dialect{
	name: "sqlite",
	migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
	migrationsTableExists: `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`,
	timeArg: func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return normTime(t).Format(sqliteTimeLayout)
	},
	valuesParams: 256,
	inIDs:        func(n int) string { return fmt.Sprintf("IN (SELECT value FROM json_each($%d))", n) },
	idsPerStmt:   1000,
	idsArg:       idsJSON,
	analyze:      "PRAGMA optimize",
}

// idsJSON encodes ids as a JSON array for json_each.
func idsJSON(ids []int64) any {
	b := make([]byte, 0, 2+len(ids)*8)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// sqliteCacheKiB is each connection's page cache: 2 MiB, about SQLite's default,
// on purpose. In WAL mode a connection drops its whole cache whenever
// another connection has committed, so with the worker's activities writing
// on several connections a large cache seldom stays warm; and every cached
// 4 KiB page is one 8 KiB allocation in modernc's C heap (power-of-two size
// classes), outside the Go heap. At 32 MiB a connection a worker running a
// 100,000-user sync peaked at 130 to 190 MiB resident, at 2 MiB at 66 to
// 68 MiB, and the sync was no slower (BENCHMARKS.md, "Worker memory").
const sqliteCacheKiB = 2048

// MemoryPath is the OpenSQLite path of a private in-memory database.
const MemoryPath = ":memory:"

// OpenSQLite opens (creating if needed) the SQLite database at path, or a
// private in-memory database for MemoryPath, and applies migrations.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (Store, error) {
	o := OpenOptions{Migrate: true, Now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return openSQLite(ctx, path, o)
}

func openSQLite(ctx context.Context, path string, o OpenOptions) (Store, error) {
	memory := path == MemoryPath
	if !o.Migrate && !memory {
		// Opening would create an empty database file.
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSchemaOutdated, err)
		}
	}
	// Every transaction is BEGIN IMMEDIATE: writers queue on busy_timeout
	// instead of failing when a read lock would need upgrading.
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	// Statement journals and sorts stay in memory rather than in temp files;
	// every multi-row write statement needs a statement journal.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size("+strconv.Itoa(-sqliteCacheKiB)+")")
	if !memory {
		// With WAL (see enableWAL), NORMAL sync survives process crashes and
		// saves an fsync per commit.
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	sdb, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("directory: open sqlite: %w", err)
	}
	if memory {
		// Each connection to :memory: is its own database: keep exactly one.
		sdb.SetMaxOpenConns(1)
		sdb.SetMaxIdleConns(1)
		sdb.SetConnMaxLifetime(0)
		sdb.SetConnMaxIdleTime(0)
	} else {
		n := cmp.Or(o.MaxConns, defaultMaxConns)
		sdb.SetMaxOpenConns(n)
		sdb.SetMaxIdleConns(n)
	}
	st, err := newSQLStore(ctx, newSQLDB(sdb), sqliteDialect, o)
	if err != nil || memory || !o.Migrate {
		// WAL is a property of the file, set when it was migrated.
		return st, err
	}
	if err := enableWAL(ctx, sdb); err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

// enableWAL switches a database file to write-ahead logging, so readers run
// beside the writer. The mode is stored in the file, so this changes it once.
// It is not a connection pragma because a journal-mode change can fail with
// SQLITE_BUSY without waiting out busy_timeout when several processes open a
// new file at once; here that one error is retried for a bounded time.
func enableWAL(ctx context.Context, d *sql.DB) error {
	const sqliteBusy = 5
	delay, deadline := 5*time.Millisecond, time.Now().Add(15*time.Second)
	for {
		var mode string
		err := d.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil {
			if mode != "wal" {
				return fmt.Errorf("directory: sqlite: journal mode is %q, WAL not available", mode)
			}
			return nil
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqliteBusy || time.Now().After(deadline) {
			return fmt.Errorf("directory: sqlite: enable WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}
