package directory

import (
	"bytes"
	"context"
	"crypto/sha256"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *sqlStore) UpsertUsers(ctx context.Context, integration string, run int64, users []User) (PageResult, error) {
	if err := needRun(run); err != nil {
		return PageResult{}, err
	}
	return upsert(ctx, s, usersTable, integration, run, users, s.replaceRoleLinks)
}

func (s *sqlStore) UpsertGroups(ctx context.Context, integration string, run int64, groups []Group) (PageResult, error) {
	if err := needRun(run); err != nil {
		return PageResult{}, err
	}
	return upsert[Group](ctx, s, groupsTable, integration, run, groups, nil)
}

func (s *sqlStore) UpsertRoles(ctx context.Context, integration string, run int64, roles []Role) (PageResult, error) {
	if err := needRun(run); err != nil {
		return PageResult{}, err
	}
	return upsert[Role](ctx, s, rolesTable, integration, run, roles, nil)
}

func (s *sqlStore) UpsertApps(ctx context.Context, integration string, run int64, apps []App) (PageResult, error) {
	if err := needRun(run); err != nil {
		return PageResult{}, err
	}
	return upsert[App](ctx, s, appsTable, integration, run, apps, nil)
}

func (s *sqlStore) PutUser(ctx context.Context, integration string, u User) (bool, error) {
	res, err := upsert(ctx, s, usersTable, integration, 0, []User{u}, s.replaceRoleLinks)
	return res.Created+res.Updated > 0, err
}

func needRun(run int64) error {
	if run <= 0 {
		return invalid("sync run id %d must be positive (PutUser writes outside a run)", run)
	}
	return nil
}

// existingRow is what an upsert needs to know about a stored row.
type existingRow struct {
	hash                                []byte
	createdRun, changedRun, lastSeenRun int64
	createdAt, deletedAt                time.Time
}

// upsert writes one page of records in one transaction, run 0 meaning
// "outside a sync run". It compares each record's content hash with the
// stored one: new, revived and changed rows are written in full, unchanged
// rows only get their stamps. Counts are idempotent per run: a row this run
// already created, changed or saw is not counted again when a page is
// retried. afterWrite, if set, runs for the rows written in full, given the
// ids of those that were stored before.
func upsert[T any, P recordPtr[T]](ctx context.Context, s *sqlStore, tb *table, integration string, run int64,
	in []T, afterWrite func(ctx context.Context, c conn, integration string, written []P, existed []any) error,
) (PageResult, error) {
	if len(in) == 0 {
		return PageResult{}, nil
	}
	page := dedupe[T, P](slices.Clone(in))
	hashes := make([]byte, len(page)*sha256.Size)
	var buf []byte
	for i := range page {
		p := P(&page[i])
		if err := p.normalize(); err != nil {
			return PageResult{}, err
		}
		buf = p.encode(buf[:0])
		sum := sha256.Sum256(buf)
		copy(hashes[i*sha256.Size:], sum[:])
	}

	var res PageResult
	err := s.db.inTx(ctx, func(c conn) error {
		res = PageResult{} // a retried transaction starts over
		seq, err := s.bumpSeq(ctx, c, integration)
		if err != nil {
			return err
		}
		if run != 0 {
			if _, err := s.runningRun(ctx, c, integration, run); err != nil {
				return err
			}
		}
		existing, err := s.loadExisting(ctx, c, tb, integration, idArgs[T, P](page))
		if err != nil {
			return err
		}
		now := s.clock()
		nowArg := s.timeArg(now) // encoded once per page, not per row
		// counted: this run already counted the row in an earlier attempt.
		counted := func(prev int64) bool { return run != 0 && prev == run }
		var (
			full    []P
			existed []any
			args    []any
			touched []any
			cols    = tb.writeCols
		)
		for i := range page {
			p := P(&page[i])
			hash := hashes[i*sha256.Size : (i+1)*sha256.Size]
			ex, ok := existing[p.oneLoginID()]
			if run != 0 && (!ok || ex.lastSeenRun != run) {
				res.Seen++
			}
			lastSeen := run
			if run == 0 {
				lastSeen = ex.lastSeenRun
			}
			createdRun, changedRun, createdAt := run, run, nowArg
			switch {
			case !ok || !ex.deletedAt.IsZero(): // new, or revived
				if !ok || !counted(ex.createdRun) {
					res.Created++
				}
			case !bytes.Equal(ex.hash, hash):
				if !counted(ex.createdRun) && !counted(ex.changedRun) {
					res.Updated++
				}
				createdRun, createdAt = ex.createdRun, s.timeArg(ex.createdAt)
				if run == 0 {
					changedRun = ex.changedRun
				}
			default:
				touched = append(touched, p.oneLoginID())
				continue
			}
			full = append(full, p)
			if ok {
				existed = append(existed, p.oneLoginID())
			}
			if args == nil {
				args = make([]any, 0, len(page)*len(cols))
			}
			args = append(args, integration, p.oneLoginID())
			args = p.args(args, s.d.timeArg)
			args = append(args, hash, createdRun, changedRun, lastSeen, seq, createdAt, nowArg, nowArg, nil, 0)
		}
		if err := s.writeRows(ctx, c, tb, cols, args); err != nil {
			return err
		}
		if err := s.touchRows(ctx, c, tb, integration, run, seq, nowArg, touched); err != nil {
			return err
		}
		if afterWrite != nil && len(full) > 0 {
			if err := afterWrite(ctx, c, integration, full, existed); err != nil {
				return err
			}
		}
		if run == 0 || res == (PageResult{}) {
			return nil
		}
		return addCounts(ctx, c, run, tb.kind, KindCounts{
			Seen: int64(res.Seen), Created: int64(res.Created), Updated: int64(res.Updated)})
	})
	if err != nil {
		return PageResult{}, err
	}
	return res, nil
}

// dedupe keeps the last occurrence of each OneLogin id (a row may be upserted
// only once per statement), preserving first-seen order.
func dedupe[T any, P recordPtr[T]](page []T) []T {
	at := make(map[int64]int, len(page))
	out := page[:0]
	for i := range page {
		id := P(&page[i]).oneLoginID()
		if j, dup := at[id]; dup {
			out[j] = page[i]
			continue
		}
		at[id] = len(out)
		out = append(out, page[i])
	}
	return out
}

func (s *sqlStore) loadExisting(ctx context.Context, c conn, tb *table, integration string, ids []any) (map[int64]existingRow, error) {
	found := make(map[int64]existingRow, len(ids))
	err := chunks(len(ids), s.d.maxParams-1, func(lo, hi int) error {
		q := cachedSQL(tb.name+"/existing/"+strconv.Itoa(hi-lo), func() string {
			return `SELECT onelogin_id, content_hash, created_run, changed_run, last_seen_run, created_at, deleted_at
				FROM ` + tb.name + ` WHERE integration_id = $1 AND onelogin_id IN (` + inList(2, hi-lo) + `)`
		})
		rs, err := c.query(ctx, q, append([]any{integration}, ids[lo:hi]...)...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var id int64
			var ex existingRow
			if err := rs.Scan(&id, &ex.hash, &ex.createdRun, &ex.changedRun, &ex.lastSeenRun,
				scanTime(&ex.createdAt), scanTime(&ex.deletedAt)); err != nil {
				return err
			}
			found[id] = ex
		}
		return rs.Err()
	})
	return found, err
}

// idArgs lists the OneLogin ids of a page as query arguments.
func idArgs[T any, P recordPtr[T]](page []T) []any {
	ids := make([]any, len(page))
	for i := range page {
		ids[i] = P(&page[i]).oneLoginID()
	}
	return ids
}

// writeRows upserts whole rows: args holds len(cols) values per row.
func (s *sqlStore) writeRows(ctx context.Context, c conn, tb *table, cols []string, args []any) error {
	n := len(args) / len(cols)
	return chunks(n, s.d.rowsPerInsert(len(cols)), func(lo, hi int) error {
		q := cachedSQL(tb.name+"/upsert/"+strconv.Itoa(hi-lo), func() string {
			var b strings.Builder
			b.WriteString("INSERT INTO " + tb.name + " (" + strings.Join(cols, ", ") + ") VALUES ")
			valueRows(&b, hi-lo, len(cols))
			b.WriteString(" ON CONFLICT (integration_id, onelogin_id) DO UPDATE SET ")
			for i, col := range cols[2:] {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(col + " = excluded." + col)
			}
			return b.String()
		})
		_, err := c.exec(ctx, q, args[lo*len(cols):hi*len(cols)]...)
		return err
	})
}

// touchRows stamps unchanged rows as seen (by run, when there is one) and
// written at seq.
func (s *sqlStore) touchRows(ctx context.Context, c conn, tb *table, integration string, run, seq int64,
	now any, ids []any) error {
	head := []any{seq, now, integration}
	set, variant := "touched_seq = $1, seen_at = $2", "/touch/"
	if run != 0 {
		head = append(head, run)
		set, variant = set+", last_seen_run = $4", "/touch-run/"
	}
	return chunks(len(ids), s.d.maxParams-len(head), func(lo, hi int) error {
		q := cachedSQL(tb.name+variant+strconv.Itoa(hi-lo), func() string {
			return `UPDATE ` + tb.name + ` SET ` + set + ` WHERE integration_id = $3 AND onelogin_id IN (` +
				inList(len(head)+1, hi-lo) + `)`
		})
		_, err := c.exec(ctx, q, append(slices.Clip(head), ids[lo:hi]...)...)
		return err
	})
}

// replaceRoleLinks makes the user_roles rows of users equal their RoleIDs.
// Only users stored before (existed) can have links to remove.
func (s *sqlStore) replaceRoleLinks(ctx context.Context, c conn, integration string, users []*User, existed []any) error {
	var links []any
	for _, u := range users {
		for _, r := range u.RoleIDs {
			links = append(links, integration, u.OneLoginID, r)
		}
	}
	ids := existed
	err := chunks(len(ids), s.d.maxParams-1, func(lo, hi int) error {
		q := cachedSQL("user_roles/delete/"+strconv.Itoa(hi-lo), func() string {
			return `DELETE FROM user_roles WHERE integration_id = $1 AND user_id IN (` + inList(2, hi-lo) + `)`
		})
		_, err := c.exec(ctx, q, append([]any{integration}, ids[lo:hi]...)...)
		return err
	})
	if err != nil {
		return err
	}
	return chunks(len(links)/3, s.d.rowsPerInsert(3), func(lo, hi int) error {
		q := cachedSQL("user_roles/insert/"+strconv.Itoa(hi-lo), func() string {
			var b strings.Builder
			b.WriteString(`INSERT INTO user_roles (integration_id, user_id, role_id) VALUES `)
			valueRows(&b, hi-lo, 3)
			return b.String()
		})
		_, err := c.exec(ctx, q, links[lo*3:hi*3]...)
		return err
	})
}
