package directory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sqlStore is the one Store implementation; a db adapter and a dialect are
// all that differ between SQLite and PostgreSQL.
type sqlStore struct {
	db      db
	d       *dialect
	now     func() time.Time
	applied []string // migrations this open applied
	growth  struct {
		sync.Mutex
		created, analyzed map[string]int64 // by table: rows created, and created at the last ANALYZE
	}
}

// newSQLStore migrates the schema, or checks that it is current, and
// prepares the statements that syncs run most. It closes d on failure.
func newSQLStore(ctx context.Context, d db, dl *dialect, o OpenOptions) (Store, error) {
	s := &sqlStore{db: d, d: dl, now: o.Now}
	s.growth.created, s.growth.analyzed = map[string]int64{}, map[string]int64{}
	err := func() error {
		if o.Migrate {
			applied, err := migrate(ctx, d, dl, o.Now)
			s.applied = applied
			return err
		}
		return checkSchema(ctx, d, dl)
	}()
	if err == nil {
		if p, ok := d.(*sqlDB); ok {
			err = p.prepare(ctx, s.hot())
		}
	}
	if err != nil {
		_ = d.close()
		return nil, err
	}
	return s, nil
}

func (s *sqlStore) Close() error { return s.db.close() }

// clock is the store's current time at stored precision.
func (s *sqlStore) clock() time.Time { return normTime(s.now()) }

func (s *sqlStore) timeArg(t time.Time) any { return s.d.timeArg(t) }

// bumpSeq advances the integration's write sequence and returns it. Every
// directory write transaction starts here: the row lock it takes serialises
// writers of one integration, and the sequence orders writes against sync run
// starts (see Sweep). A missing integration is ErrNotFound.
func (s *sqlStore) bumpSeq(ctx context.Context, c conn, integration string) (int64, error) {
	var seq int64
	err := c.queryRow(ctx, bumpSeqSQL, integration).Scan(&seq)
	if err != nil {
		return 0, notFound(err, "integration %q", integration)
	}
	return seq, nil
}

const bumpSeqSQL = `UPDATE integrations SET write_seq = write_seq + 1 WHERE id = $1 RETURNING write_seq`

// notFound turns a no-rows error into ErrNotFound naming what was missing.
func notFound(err error, what string, args ...any) error {
	if noRows(err) {
		return fmt.Errorf("%w: "+what, append([]any{ErrNotFound}, args...)...)
	}
	return err
}

// noRows reports a single-row query that found nothing, from either driver
// (pgx.ErrNoRows matches sql.ErrNoRows).
func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// timeDest is a Scan destination for a nullable timestamp from either
// backend: PostgreSQL yields time.Time, SQLite our fixed-width text. NULL
// scans as the zero time.
type timeDest struct{ t *time.Time }

func scanTime(t *time.Time) timeDest { return timeDest{t} }

func (d timeDest) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.t = time.Time{}
	case time.Time:
		*d.t = x.UTC()
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return fmt.Errorf("directory: bad stored time %q: %w", x, err)
		}
		*d.t = t.UTC()
	case []byte:
		return d.Scan(string(x))
	default:
		return fmt.Errorf("directory: cannot scan %T as time", v)
	}
	return nil
}

// where accumulates AND-ed conditions with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

// add appends cond, whose single %d becomes the next placeholder number.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, fmt.Sprintf(cond, len(w.args)))
}

func (w *where) String() string { return strings.Join(w.conds, " AND ") }

// placeholders writes "$first, $first+1, ..." for n values.
func placeholders(b *strings.Builder, first, n int) {
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(first + i))
	}
}

// inList returns "$first, ..." for n values.
func inList(first, n int) string {
	var b strings.Builder
	placeholders(&b, first, n)
	return b.String()
}

// sqlCache memoises generated statements by a key naming what they depend
// on.
var sqlCache sync.Map // string -> string

func cachedSQL(key string, build func() string) string {
	if q, ok := sqlCache.Load(key); ok {
		return q.(string)
	}
	q := build()
	sqlCache.Store(key, q)
	return q
}

func pageLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}
