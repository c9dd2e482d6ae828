package directory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// queryRecords returns the live rows of tb matching cond (whose $1 is the
// integration), ordered by OneLogin id; limit 0 means all.
func queryRecords[T any, P recordPtr[T]](ctx context.Context, c conn, tb *table, cond string, limit int,
	args ...any) ([]T, error) {
	q := `SELECT ` + tb.readCols + ` FROM ` + tb.name + ` WHERE deleted_at IS NULL AND ` + cond +
		` ORDER BY onelogin_id`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	rs, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []T
	for rs.Next() {
		var v T
		p := P(&v)
		m := p.meta()
		if err := rs.Scan(append(p.dest(), scanTime(&m.CreatedAt), scanTime(&m.ChangedAt), scanTime(&m.SeenAt),
			&m.LastSeenRun)...); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rs.Err()
}

// users is queryRecords for users, with their role ids.
func (s *sqlStore) users(ctx context.Context, cond string, limit int, args ...any) ([]User, error) {
	us, err := queryRecords[User](ctx, s.db, usersTable, cond, limit, args...)
	if err != nil || len(us) == 0 {
		return us, err
	}
	at := make(map[int64]int, len(us))
	ids := []any{args[0]}
	for i := range us {
		u := &us[i]
		if u.CustomAttributes, err = canonicalJSON(u.CustomAttributes); err != nil {
			return nil, fmt.Errorf("directory: user %d: stored custom attributes: %w", u.OneLoginID, err)
		}
		at[u.OneLoginID] = i
		ids = append(ids, u.OneLoginID)
	}
	rs, err := s.db.query(ctx, `SELECT user_id, role_id FROM user_roles WHERE integration_id = $1 AND user_id IN (`+
		inList(2, len(us))+`) ORDER BY user_id, role_id`, ids...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var uid, rid int64
		if err := rs.Scan(&uid, &rid); err != nil {
			return nil, err
		}
		u := &us[at[uid]]
		u.RoleIDs = append(u.RoleIDs, rid)
	}
	return us, rs.Err()
}

// oneUser is users for a query that should match one user.
func (s *sqlStore) oneUser(ctx context.Context, what string, cond string, args ...any) (User, error) {
	us, err := s.users(ctx, cond, 1, args...)
	if err != nil {
		return User{}, err
	}
	if len(us) == 0 {
		return User{}, fmt.Errorf("%w: user %s in integration %q", ErrNotFound, what, args[0])
	}
	return us[0], nil
}

func (s *sqlStore) GetUser(ctx context.Context, integration string, id int64) (User, error) {
	return s.oneUser(ctx, strconv.FormatInt(id, 10), `integration_id = $1 AND onelogin_id = $2`, integration, id)
}

func (s *sqlStore) FindUserByEmail(ctx context.Context, integration, email string) (User, error) {
	if email == "" {
		return User{}, fmt.Errorf("%w: empty email", ErrNotFound)
	}
	return s.oneUser(ctx, "by email", `integration_id = $1 AND email_key = $2`, integration, strings.ToLower(email))
}

func (s *sqlStore) FindUserByUsername(ctx context.Context, integration, username string) (User, error) {
	if username == "" {
		return User{}, fmt.Errorf("%w: empty username", ErrNotFound)
	}
	return s.oneUser(ctx, "by username", `integration_id = $1 AND username = $2`, integration, username)
}

func (s *sqlStore) UsersInGroup(ctx context.Context, integration string, group int64, page Page) ([]User, error) {
	if group <= 0 {
		return nil, invalid("group id %d must be positive", group)
	}
	return s.users(ctx, `integration_id = $1 AND group_id = $2 AND onelogin_id > $3`, pageLimit(page.Limit),
		integration, group, page.After)
}

func (s *sqlStore) DirectReports(ctx context.Context, integration string, user int64, page Page) ([]User, error) {
	if user <= 0 {
		return nil, invalid("user id %d must be positive", user)
	}
	return s.users(ctx, `integration_id = $1 AND manager_id = $2 AND onelogin_id > $3`, pageLimit(page.Limit),
		integration, user, page.After)
}

func (s *sqlStore) Manager(ctx context.Context, integration string, user int64) (User, error) {
	u, err := s.GetUser(ctx, integration, user)
	if err != nil {
		return User{}, err
	}
	if u.ManagerID == 0 {
		return User{}, fmt.Errorf("%w: user %d has no manager", ErrNotFound, user)
	}
	return s.GetUser(ctx, integration, u.ManagerID)
}

func (s *sqlStore) UserGroups(ctx context.Context, integration string, user int64) ([]string, error) {
	u, err := s.GetUser(ctx, integration, user)
	if err != nil {
		return nil, err
	}
	var out []string
	if u.GroupID != 0 {
		gs, err := queryRecords[Group](ctx, s.db, groupsTable, `integration_id = $1 AND onelogin_id = $2`, 1,
			integration, u.GroupID)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			out = append(out, g.Name)
		}
	}
	if len(u.RoleIDs) == 0 {
		return out, nil
	}
	args := []any{integration}
	for _, id := range u.RoleIDs {
		args = append(args, id)
	}
	roles, err := queryRecords[Role](ctx, s.db, rolesTable,
		`integration_id = $1 AND onelogin_id IN (`+inList(2, len(u.RoleIDs))+`)`, 0, args...)
	if err != nil {
		return nil, err
	}
	sortByName(roles, func(r Role) string { return r.Name })
	for _, r := range roles {
		out = append(out, "Role: "+r.Name)
	}
	return out, nil
}

func (s *sqlStore) Groups(ctx context.Context, integration string) ([]Group, error) {
	gs, err := queryRecords[Group](ctx, s.db, groupsTable, `integration_id = $1`, 0, integration)
	sortByName(gs, func(g Group) string { return g.Name })
	return gs, err
}

func (s *sqlStore) Roles(ctx context.Context, integration string) ([]Role, error) {
	rs, err := queryRecords[Role](ctx, s.db, rolesTable, `integration_id = $1`, 0, integration)
	sortByName(rs, func(r Role) string { return r.Name })
	return rs, err
}

func (s *sqlStore) Apps(ctx context.Context, integration string) ([]App, error) {
	as, err := queryRecords[App](ctx, s.db, appsTable, `integration_id = $1 AND visible = $2`, 0, integration, true)
	sortByName(as, func(a App) string { return a.Name })
	return as, err
}

// sortByName orders by name in Go, bytewise, because the backends' collations
// differ; rows arrive ordered by id, which the stable sort keeps for ties.
func sortByName[T any](xs []T, name func(T) string) {
	slices.SortStableFunc(xs, func(a, b T) int { return cmp.Compare(name(a), name(b)) })
}
