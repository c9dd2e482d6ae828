package olsim

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

func (s *Server) app(id int64) *App {
	i, ok := slices.BinarySearchFunc(s.apps, id, func(a App, id int64) int { return cmp.Compare(a.ID, id) })
	if !ok {
		return nil
	}
	return &s.apps[i]
}

// appSnapshot fills in the roles that grant the app.
func (s *Server) appSnapshot(a App) App {
	a.RoleIDs = nil
	for _, r := range s.roles {
		if slices.Contains(r.apps, a.ID) {
			a.RoleIDs = append(a.RoleIDs, r.id)
		}
	}
	return a
}

// authMethodFilter validates auth_method: 422 `invalid value in "auth_method"` (§9).
func authMethodFilter(value string) (predicate, error) {
	for part := range strings.SplitSeq(value, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if _, ok := authMethods[n]; err != nil || !ok {
			return nil, &Error{Status: 422, Message: `invalid value in "auth_method"`}
		}
	}
	return intFilter("auth_method")(value)
}

// listApps serves GET /api/2/apps (Read All or Manage All; max 1000).
func (s *Server) listApps(c *call) *response {
	items := make([]item, len(s.apps))
	for i, a := range s.apps {
		items[i] = appWire(s.appSnapshot(a))
	}
	return c.list(itemSource("apps", items), listSpec{defLimit: 50, maxLimit: 1000, filters: map[string]filterSpec{
		"name": textFilter("name"), "connector_id": intFilter("connector_id"), "auth_method": authMethodFilter, "id": intFilter("id"),
	}})
}

// listAppUsers serves GET /api/2/apps/:id/users: users reaching the app
// through a role.
func (s *Server) listAppUsers(c *call) *response {
	id, err := strconv.ParseInt(c.param, 10, 64)
	a := s.app(id)
	if err != nil || a == nil {
		return v2Err(404, notFoundV2)
	}
	holders := s.cached(fmt.Sprintf("app %d holders", a.ID), func() idList { return s.roleHolders(s.rolesWithApps(idList{a.ID})) })
	return c.list(source{
		key: fmt.Sprintf("app %d users", a.ID),
		all: holders,
		rec: func(id int64) record { return &userRec{s: s, u: s.users[id]} },
		render: func(id int64, _ []string) item {
			u := s.users[id]
			return item{"id": u.ID, "firstname": u.Firstname, "lastname": u.Lastname, "username": u.Username, "email": u.Email}
		},
	}, listSpec{defLimit: 50, maxLimit: 1000})
}

// listConnectors serves GET /api/2/connectors (scope per Options.ConnectorsScope).
func (s *Server) listConnectors(c *call) *response {
	items := make([]item, len(s.connectors))
	for i, k := range s.connectors {
		items[i] = connectorWire(k)
	}
	return c.list(itemSource("connectors", items), listSpec{defLimit: 50, maxLimit: 1000, filters: map[string]filterSpec{
		"name": textFilter("name"), "auth_method": authMethodFilter, "id": intFilter("id"),
	}})
}
