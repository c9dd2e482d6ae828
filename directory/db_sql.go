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

// sqlConn adapts database/sql (used for SQLite) to conn.
type sqlConn struct{ q sqlQuerier }

func (c sqlConn) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c sqlConn) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := c.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (c sqlConn) queryRow(ctx context.Context, query string, args ...any) row {
	return c.q.QueryRowContext(ctx, query, args...)
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type sqlDB struct {
	sqlConn
	db *sql.DB
}

func newSQLDB(d *sql.DB) *sqlDB { return &sqlDB{sqlConn: sqlConn{d}, db: d} }

func (d *sqlDB) inTx(ctx context.Context, fn func(conn) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if err := fn(sqlConn{tx}); err != nil {
		return err
	}
	return tx.Commit()
}

func (d *sqlDB) close() error { return d.db.Close() }
