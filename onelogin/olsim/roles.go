package olsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// memberKind names a role's membership sub-resource.
type memberKind string

const (
	roleUsers  memberKind = "users"
	roleAdmins memberKind = "admins"
)

func (r *role) members(k memberKind) *memberSet {
	if k == roleAdmins {
		return &r.admins
	}
	return &r.users
}

func (s *Server) role(id int64) *role {
	i, ok := slices.BinarySearchFunc(s.roles, id, func(r *role, id int64) int { return cmp.Compare(r.id, id) })
	if !ok {
		return nil
	}
	return s.roles[i]
}

// setMember adds or removes one membership; role (not admin) changes bump
// the user's updated_at unless Options.RoleChangesKeepUpdatedAt.
func (s *Server) setMember(r *role, k memberKind, userID int64, add bool, now time.Time) {
	m := r.members(k)
	changed := add && m.add(member{id: userID, addedAt: now.UnixMilli(), addedBy: s.ownerID}) || !add && m.remove(userID)
	if !changed {
		return
	}
	s.version++
	if u := s.users[userID]; u != nil {
		typ := map[[2]bool]string{
			{true, true}: EventUserRoleAdded, {true, false}: EventUserRoleRemoved,
			{false, true}: EventRoleAdminAdded, {false, false}: EventRoleAdminRemoved,
		}[[2]bool{k == roleUsers, add}]
		s.emitRole(typ, now, &u.User, r)
	}
	if u := s.users[userID]; u != nil && k == roleUsers && !s.opts.RoleChangesKeepUpdatedAt {
		s.touch(&u.User, now)
	}
}

// replaceUserRoles makes ids the user's exact role set.
func (s *Server) replaceUserRoles(u *user, ids []int64, now time.Time) {
	for _, r := range s.roles {
		add := slices.Contains(ids, r.id)
		if _, had := r.users.find(u.ID); had != add {
			s.countWrite(u.ID, roleWriteKind(roleUsers, add))
		}
		s.setMember(r, roleUsers, u.ID, add, now)
	}
}

// roleWriteKind is the write counter of a role membership change.
func roleWriteKind(k memberKind, add bool) string {
	switch {
	case k == roleUsers && add:
		return WriteAddRole
	case k == roleUsers:
		return WriteRemoveRole
	case add:
		return WriteAddRoleAdmin
	}
	return WriteRemoveRoleAdmin
}

func roleWire(r *role) item { return roleFields(r, nil) }

// roleFields renders a role with the arrays fields names (nil: all): at a
// million users a role's member array is large, so only when asked.
func roleFields(r *role, fields []string) item {
	it := item{"id": r.id, "name": r.name}
	for f, get := range roleArrays {
		if fields == nil || slices.Contains(fields, f) {
			it[f] = idsOrEmpty(get(r))
		}
	}
	return it
}

var roleArrays = map[string]func(r *role) []int64{
	"apps":   func(r *role) []int64 { return slices.Clone(r.apps) },
	"users":  func(r *role) []int64 { return r.users.ids() },
	"admins": func(r *role) []int64 { return r.admins.ids() },
}

// roleRec is a role as filters and sorts see it.
type roleRec struct{ r *role }

func (x roleRec) value(field string) (any, bool) {
	switch field {
	case "id":
		return x.r.id, true
	case "name":
		return x.r.name, true
	}
	if get := roleArrays[field]; get != nil {
		return get(x.r), true
	}
	return nil, false
}

func (s *Server) roleItems() []item {
	items := make([]item, len(s.roles))
	for i, r := range s.roles {
		items[i] = roleWire(r)
	}
	return items
}

// listRoles serves GET /api/2/roles: id and name, plus the arrays named in
// fields (or Options.RoleDefaultFields).
func (s *Server) listRoles(c *call) *response {
	ids := make(idList, len(s.roles))
	for i, r := range s.roles {
		ids[i] = r.id
	}
	src := source{key: "roles", all: ids,
		rec:    func(id int64) record { return roleRec{s.role(id)} },
		render: func(id int64, fields []string) item { return roleFields(s.role(id), fields) },
	}
	return c.list(src, listSpec{
		defLimit: 50, maxLimit: 650, keep: []string{"name"},
		defaultFields: append([]string{}, s.opts.RoleDefaultFields...),
		filters: map[string]filterSpec{
			"name": textFilter("name"), "role_name": textFilter("name"), "id": intFilter("id"),
			"app_id": intFilter("apps"), "app_name": s.appNameFilter,
		},
	})
}

// appNameFilter matches roles holding an app whose name matches.
func (s *Server) appNameFilter(value string) (predicate, error) {
	return func(r record) bool {
		apps, _ := lookup(r, "apps").([]int64)
		for _, id := range apps {
			if a := s.app(id); a != nil && matchText(value, a.Name) {
				return true
			}
		}
		return false
	}, nil
}

// listRolesV1 serves GET /api/1/roles: data [{id, name}].
func (s *Server) listRolesV1(c *call) *response {
	items := make([]item, len(s.roles))
	for i, r := range s.roles {
		items[i] = item{"id": r.id, "name": r.name}
	}
	return c.list(itemSource("roles v1", items), listSpec{defLimit: 50, maxLimit: 50,
		filters: map[string]filterSpec{"name": textFilter("name"), "id": intFilter("id")}})
}

func (c *call) lookupRole() (*role, *response) {
	id, err := strconv.ParseInt(c.param, 10, 64)
	r := c.s.role(id)
	if err != nil || r == nil {
		return nil, v2Err(404, notFoundV2)
	}
	return r, nil
}

func (s *Server) getRole(c *call) *response {
	r, fail := c.lookupRole()
	if fail != nil {
		return fail
	}
	return v2JSON(200, roleWire(r))
}

// listRoleMembers serves GET /api/2/roles/:id/{users,admins} (§8): the
// role's members, ascending by id, or with include_unassigned=true (the
// default false travels in the cursor) every user, marked "assigned".
func (s *Server) listRoleMembers(k memberKind) func(*call) *response {
	return func(c *call) *response {
		r, fail := c.lookupRole()
		if fail != nil {
			return fail
		}
		members := r.members(k)
		render := func(id int64, _ []string) item {
			u := s.users[id]
			it := item{"id": u.ID, "name": strings.TrimSpace(u.Firstname + " " + u.Lastname), "username": u.Username,
				"email": u.Email, "assigned": false, "added_by": nil, "added_at": nil}
			if m, ok := members.get(id); ok {
				it["assigned"], it["added_at"], it["added_by"] = true, formatTime(time.UnixMilli(m.addedAt)), s.actor(m.addedBy)
			}
			return it
		}
		src := source{
			key:    fmt.Sprintf("role %d %s", r.id, k),
			all:    s.order,
			rec:    func(id int64) record { return &userRec{s: s, u: s.users[id]} },
			recs:   s.userRecs(false),
			render: render,
			narrow: func(q listQuery) (idSeq, []string) {
				if q.rest.Get("include_unassigned") == "true" {
					return s.order, []string{"include_unassigned"}
				}
				return *members, []string{"include_unassigned"}
			},
		}
		return c.list(src, listSpec{
			defLimit: 50, maxLimit: s.opts.RoleUsersMaxLimit, defaults: map[string]string{"include_unassigned": "false"},
			filters: map[string]filterSpec{"name": textFilter("firstname", "lastname", "username", "email"), "id": intFilter("id")},
		})
	}
}

// actor renders added_by.
func (s *Server) actor(id int64) any {
	u := s.users[id]
	if u == nil {
		return nil
	}
	return item{"id": u.ID, "name": strings.TrimSpace(u.Firstname + " " + u.Lastname)}
}

// memberIDs decodes the raw JSON array body of POST/DELETE role members.
// Ids may be numbers or numeric strings (baton sends ["123"]).
func (c *call) memberIDs() ([]int64, *response) {
	var raw []json.RawMessage
	if err := json.Unmarshal(c.body, &raw); err != nil {
		return nil, v2Err(400, "Expected array in request")
	}
	var ids []int64
	for _, r := range raw {
		var n int64
		var str string
		if json.Unmarshal(r, &n) != nil {
			if json.Unmarshal(r, &str) != nil {
				return nil, v2Err(400, "Expected array of ids in request")
			}
			var err error
			if n, err = strconv.ParseInt(str, 10, 64); err != nil {
				return nil, v2Err(400, "Expected array of ids in request")
			}
		}
		if !slices.Contains(ids, n) {
			ids = append(ids, n)
		}
	}
	return ids, nil
}

// addRoleMembers serves POST /api/2/roles/:id/{users,admins}: 200 with
// [{"id":N},...]; unknown users are a 422.
func (s *Server) addRoleMembers(k memberKind) func(*call) *response {
	return func(c *call) *response {
		r, fail := c.lookupRole()
		if fail != nil {
			return fail
		}
		ids, fail := c.memberIDs()
		if fail != nil {
			return fail
		}
		out := make([]item, len(ids))
		for i, id := range ids {
			if s.users[id] == nil {
				return v2Err(422, fmt.Sprintf("Validation failed: User %d does not exist", id))
			}
			out[i] = item{"id": id}
		}
		for _, id := range ids {
			s.countWrite(id, roleWriteKind(k, true))
			s.setMember(r, k, id, true, c.now)
		}
		return v2JSON(200, out)
	}
}

// removeRoleMembers serves DELETE /api/2/roles/:id/{users,admins}: 204.
func (s *Server) removeRoleMembers(k memberKind) func(*call) *response {
	return func(c *call) *response {
		r, fail := c.lookupRole()
		if fail != nil {
			return fail
		}
		ids, fail := c.memberIDs()
		if fail != nil {
			return fail
		}
		for _, id := range ids {
			if s.users[id] != nil {
				s.countWrite(id, roleWriteKind(k, false))
			}
			s.setMember(r, k, id, false, c.now)
		}
		return v2NoContent()
	}
}
