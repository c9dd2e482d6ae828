package directory

import (
	"context"
	"database/sql"
)

// sqlQuerier is the part of *sql.DB and *sql.Tx that sqlConn uses.
type sqlQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlConn adapts database/sql (used for SQLite) to conn. Statements found in
// prepared run without being parsed again: modernc SQLite otherwise parses
// and compiles every statement on every call, which cost more than running
// it.
type sqlConn struct {
	q        sqlQuerier
	tx       *sql.Tx // nil outside a transaction
	prepared map[string]*sql.Stmt
}

// stmt returns the prepared form of query, bound to the transaction if
// there is one; nil if query is not prepared.
func (c sqlConn) stmt(ctx context.Context, query string) *sql.Stmt {
	st := c.prepared[query]
	if st != nil && c.tx != nil {
		// Reuses the statement already prepared on the transaction's
		// connection, or prepares it there once.
		st = c.tx.StmtContext(ctx, st)
	}
	return st
}

func (c sqlConn) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if st := c.stmt(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = c.q.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c sqlConn) query(ctx context.Context, query string, args ...any) (rows, error) {
	var r *sql.Rows
	var err error
	if st := c.stmt(ctx, query); st != nil {
		r, err = st.QueryContext(ctx, args...)
	} else {
		r, err = c.q.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (c sqlConn) queryRow(ctx context.Context, query string, args ...any) row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, query, args...)
}

// run executes the statements one by one: SQLite is in-process, so a batch
// saves no round trips.
func (c sqlConn) run(ctx context.Context, b *batch) error {
	for _, it := range b.items {
		if it.each != nil {
			rs, err := c.query(ctx, it.query, it.args...)
			if err != nil {
				return err
			}
			if err := eachRow(rs, it.each); err != nil {
				return err
			}
			continue
		}
		n, err := c.exec(ctx, it.query, it.args...)
		if err != nil {
			return err
		}
		if it.affected != nil {
			*it.affected += n
		}
	}
	return nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type sqlDB struct {
	sqlConn
	db *sql.DB
}

func newSQLDB(d *sql.DB) *sqlDB { return &sqlDB{sqlConn: sqlConn{q: d}, db: d} }

// prepare prepares the hot statements. It runs before the store is shared:
// prepared is read without locking afterwards. database/sql prepares each
// statement again, once, on every connection that runs it.
func (d *sqlDB) prepare(ctx context.Context, queries []string) error {
	prepared := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		if prepared[q] != nil {
			continue
		}
		st, err := d.db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		prepared[q] = st
	}
	d.prepared = prepared
	return nil
}

func (d *sqlDB) inTx(ctx context.Context, fn func(conn) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if err := fn(sqlConn{q: tx, tx: tx, prepared: d.prepared}); err != nil {
		return err
	}
	return tx.Commit()
}

func (d *sqlDB) close() error {
	for _, st := range d.prepared {
		_ = st.Close()
	}
	return d.db.Close()
}
