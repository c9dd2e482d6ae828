package directory

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
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

func (s *sqlStore) PutGroup(ctx context.Context, integration string, g Group) (bool, error) {
	res, err := upsert[Group](ctx, s, groupsTable, integration, 0, []Group{g}, nil)
	return res.Created+res.Updated > 0, err
}

func (s *sqlStore) PutRole(ctx context.Context, integration string, r Role) (bool, error) {
	res, err := upsert[Role](ctx, s, rolesTable, integration, 0, []Role{r}, nil)
	return res.Created+res.Updated > 0, err
}

// DeleteUser stamps the row like a sweep does, with run 0 ("outside a
// run"), and advances touched_seq so the write is ordered with the others.
func (s *sqlStore) DeleteUser(ctx context.Context, integration string, id int64) (bool, error) {
	var n int64
	err := s.db.inTx(ctx, func(c conn) error {
		seq, err := s.bumpSeq(ctx, c, integration)
		if err != nil {
			return err
		}
		n, err = c.exec(ctx, `UPDATE `+usersTable.name+` SET deleted_at = $3, deleted_run = 0, touched_seq = $4
			WHERE integration_id = $1 AND onelogin_id = $2 AND deleted_at IS NULL`, integration, id, s.timeArg(s.clock()), seq)
		return err
	})
	return n > 0, err
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
	createdAt                           any // as stored, written back unparsed
	deleted                             bool
}

// upsert writes one page of records in one transaction, run 0 meaning
// "outside a sync run". It compares each record's content hash with the
// stored one: new, revived and changed rows are written in full, unchanged
// rows only get their stamps. Counts are idempotent per run: a row this run
// already created, changed or saw is not counted again when a page is
// retried. afterWrite, if set, queues more writes for the rows written in
// full, given the ids of those that were stored before.
//
// The transaction is two batches (one round trip each on PostgreSQL): the
// reads that decide what to write, then every write.
func upsert[T any, P recordPtr[T]](ctx context.Context, s *sqlStore, tb *table, integration string, run int64,
	in []T, afterWrite func(b *batch, integration string, written []P, existed []int64),
) (PageResult, error) {
	if len(in) == 0 {
		return PageResult{}, nil
	}
	page := dedupe[T, P](slices.Clone(in))
	hashes := make([]byte, len(page)*sha256.Size)
	ids := make([]int64, len(page))
	var buf []byte
	for i := range page {
		p := P(&page[i])
		if err := p.normalize(); err != nil {
			return PageResult{}, err
		}
		buf = p.encode(buf[:0])
		sum := sha256.Sum256(buf)
		copy(hashes[i*sha256.Size:], sum[:])
		ids[i] = p.oneLoginID()
	}

	var res PageResult
	err := s.db.inTx(ctx, func(c conn) error {
		res = PageResult{} // a retried transaction starts over
		var (
			seq      int64
			ri       runInfo
			seqFound bool
			runFound bool
			existing = make(map[int64]existingRow, len(page))
			reads    batch
		)
		// The sequence bump comes first: its row lock serialises the
		// integration's writers, so the reads after it see their writes.
		reads.query(func(r row) error { seqFound = true; return r.Scan(&seq) }, bumpSeqSQL, integration)
		if run != 0 {
			reads.query(func(r row) error { runFound = true; return ri.scan(r) }, runStateSQL, run, integration)
		}
		scanExisting := func(r row) error {
			var id int64
			var ex existingRow
			if err := r.Scan(&id, &ex.hash, &ex.createdRun, &ex.changedRun, &ex.lastSeenRun,
				&ex.createdAt, &ex.deleted); err != nil {
				return err
			}
			existing[id] = ex
			return nil
		}
		s.d.eachIDs(ids, func(ids any) { reads.query(scanExisting, s.existingSQL(tb), integration, ids) })
		if err := c.run(ctx, &reads); err != nil {
			return err
		}
		if !seqFound {
			return fmt.Errorf("%w: integration %q", ErrNotFound, integration)
		}
		if run != 0 {
			if err := ri.mustRun(runFound, integration, run); err != nil {
				return err
			}
		}

		now := s.clock()
		nowArg := s.timeArg(now) // encoded once per page, not per row
		// counted: this run already counted the row in an earlier attempt.
		counted := func(prev int64) bool { return run != 0 && prev == run }
		var (
			full    []P
			existed []int64
			args    []any
			touched []int64
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
			case !ok || ex.deleted: // new, or revived
				if !ok || !counted(ex.createdRun) {
					res.Created++
				}
			case !bytes.Equal(ex.hash, hash):
				if !counted(ex.createdRun) && !counted(ex.changedRun) {
					res.Updated++
				}
				createdRun, createdAt = ex.createdRun, ex.createdAt
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

		var writes batch
		s.d.insertRows(&writes, nil, tb.name, cols, tb.upsertTail, args)
		if len(touched) > 0 {
			s.d.eachIDs(touched, func(ids any) {
				if run != 0 {
					writes.exec(s.touchSQL(tb, true), seq, nowArg, integration, ids, run)
				} else {
					writes.exec(s.touchSQL(tb, false), seq, nowArg, integration, ids)
				}
			})
		}
		if afterWrite != nil && len(full) > 0 {
			afterWrite(&writes, integration, full, existed)
		}
		if run != 0 && res != (PageResult{}) {
			queueCounts(&writes, run, tb.kind, KindCounts{
				Seen: int64(res.Seen), Created: int64(res.Created), Updated: int64(res.Updated)})
		}
		return c.run(ctx, &writes)
	})
	if err != nil {
		return PageResult{}, err
	}
	s.grown(ctx, tb.name+tb.analyzeAlso, res.Created)
	return res, nil
}

// grown refreshes the planner statistics of tables (a list such as "users,
// user_roles") each time the rows this process created in them double (from
// analyzeAfter on). Autovacuum analyzes within a minute or so; a sync or a
// bulk action fills a table faster, and with statistics from a far smaller
// table PostgreSQL scans it, or a whole integration, instead of probing the
// primary key for a batch's ids.
func (s *sqlStore) grown(ctx context.Context, tables string, created int) {
	if s.d.analyzeTable == "" || created == 0 {
		return
	}
	s.growth.Lock()
	g := s.growth.created[tables] + int64(created)
	s.growth.created[tables] = g
	due := g >= max(analyzeAfter, 2*s.growth.analyzed[tables])
	if due {
		s.growth.analyzed[tables] = g
	}
	s.growth.Unlock()
	if due {
		// Best effort: stale statistics only cost speed.
		_, _ = s.db.exec(ctx, s.d.analyzeTable+" "+tables)
	}
}

const analyzeAfter = 1000

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

func (s *sqlStore) existingSQL(tb *table) string {
	return cachedSQL(s.d.name+"/existing/"+tb.name, func() string {
		return `SELECT onelogin_id, content_hash, created_run, changed_run, last_seen_run, created_at,
			deleted_at IS NOT NULL FROM ` + tb.name + ` WHERE integration_id = $1 AND onelogin_id ` + s.d.inIDs(2)
	})
}

// touchSQL stamps unchanged rows as seen (by run $5, when withRun) and
// written at seq $1.
func (s *sqlStore) touchSQL(tb *table, withRun bool) string {
	set, variant := "touched_seq = $1, seen_at = $2", "/touch/"
	if withRun {
		set, variant = set+", last_seen_run = $5", "/touch-run/"
	}
	return cachedSQL(s.d.name+variant+tb.name, func() string {
		return `UPDATE ` + tb.name + ` SET ` + set + ` WHERE integration_id = $3 AND onelogin_id ` + s.d.inIDs(4)
	})
}

var roleLinkCols = []string{"integration_id", "user_id", "role_id"}

func (s *sqlStore) roleLinksDeleteSQL() string {
	return cachedSQL(s.d.name+"/user_roles/delete", func() string {
		return `DELETE FROM user_roles WHERE integration_id = $1 AND user_id ` + s.d.inIDs(2)
	})
}

// replaceRoleLinks makes the user_roles rows of users equal their RoleIDs.
// Only users stored before (existed) can have links to remove.
func (s *sqlStore) replaceRoleLinks(b *batch, integration string, users []*User, existed []int64) {
	s.d.eachIDs(existed, func(ids any) { b.exec(s.roleLinksDeleteSQL(), integration, ids) })
	var links []any
	for _, u := range users {
		for _, r := range u.RoleIDs {
			links = append(links, integration, u.OneLoginID, r)
		}
	}
	s.d.insertRows(b, nil, "user_roles", roleLinkCols, "", links)
}

// hot lists the statements every synced page (and outcome batch) runs, for
// backends that
// prepare statements ahead (SQLite).
func (s *sqlStore) hot() []string {
	q := []string{bumpSeqSQL, runStateSQL, addCountsSQL, s.roleLinksDeleteSQL()}
	insert := func(table string, cols []string, tail string) {
		if s.d.unnest {
			return
		}
		for _, k := range s.d.valuesShapes(len(cols)) {
			q = append(q, s.d.insertSQL(table, cols, tail, k))
		}
	}
	for _, tb := range []*table{usersTable, groupsTable, rolesTable, appsTable} {
		q = append(q, s.existingSQL(tb), s.touchSQL(tb, true), s.touchSQL(tb, false))
		insert(tb.name, tb.writeCols, tb.upsertTail)
	}
	insert("user_roles", roleLinkCols, "")
	insert("action_outcomes", outcomeCols, outcomeUpsertTail)
	return q
}
