package olsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// userSpec is the list spec of GET /api/{1,2}/users (§6.3).
func (s *Server) userSpec(v1 bool) listSpec {
	since := func(f string) filterSpec { return timeFilter(f, true, s.opts.SinceInclusive) }
	until := func(f string) filterSpec { return timeFilter(f, false, true) }
	roles := "role_ids"
	if v1 {
		roles = "role_id"
	}
	f := map[string]filterSpec{
		"email": textFilter("email"), "username": textFilter("username"),
		"firstname": textFilter("firstname"), "lastname": textFilter("lastname"),
		"samaccountname": textFilter("samaccountname"), "external_id": textFilter("external_id"),
		"member_of": textFilter("member_of"), "title": textFilter("title"), "department": textFilter("department"),
		"id": intFilter("id"), "user_ids": intFilter("id"), "group_id": intFilter("group_id"),
		"status": intFilter("status"), "state": intFilter("state"), "directory_id": intFilter("directory_id"),
		"manager_user_id": intFilter("manager_user_id"), "role_ids": intFilter(roles), "role_id": intFilter(roles),
		"app_id":        s.appIDFilter(roles),
		"created_since": since("created_at"), "created_until": until("created_at"),
		"updated_since": since("updated_at"), "updated_until": until("updated_at"),
		"last_login_since": since("last_login"), "last_login_until": until("last_login"),
	}
	if v1 { // v1's since/until filter on created_at (§5.2)
		f["since"], f["until"] = since("created_at"), until("created_at")
	}
	maxLimit := s.opts.UsersMaxLimit
	if v1 {
		maxLimit = 50
	}
	return listSpec{defLimit: min(50, maxLimit), maxLimit: maxLimit, filters: f, customAttrs: true}
}

// appIDFilter matches users who reach an app through one of their roles.
func (s *Server) appIDFilter(rolesField string) filterSpec {
	return func(value string) (predicate, error) {
		apps, err := parseIDs(value)
		if err != nil {
			return nil, err
		}
		roleIDs := s.rolesWithApps(apps)
		return func(r record) bool {
			have, _ := lookup(r, rolesField).([]int64)
			return slices.ContainsFunc(have, roleIDs.has)
		}, nil
	}
}

// rolesWithApps lists the roles that grant any of the apps.
func (s *Server) rolesWithApps(apps idList) idList {
	var out idList
	for _, r := range s.roles {
		if slices.ContainsFunc(r.apps, apps.has) {
			out = append(out, r.id)
		}
	}
	return out
}

// roleHolders lists the users holding any of the roles.
func (s *Server) roleHolders(roleIDs idList) idList {
	var sets []idSeq
	for _, id := range roleIDs {
		if r := s.role(id); r != nil {
			sets = append(sets, r.users)
		}
	}
	return mergeIDs(sets...)
}

// userSource pages over users; indexes answer the selective filters.
func (s *Server) userSource(v1 bool) source {
	return source{
		key:    fmt.Sprintf("users v1=%t", v1),
		all:    s.order,
		rec:    func(id int64) record { return &userRec{s, s.users[id], v1} },
		recs:   s.userRecs(v1),
		render: func(id int64, _ []string) item { return userWire(s.userSnapshot(s.users[id]), v1) },
		narrow: s.narrowUsers,
	}
}

// userRecs reads candidates through one reused record, and straight from
// the slice when the candidates are the user list itself.
func (s *Server) userRecs(v1 bool) func(idSeq) func(int) record {
	return func(cands idSeq) func(int) record {
		r := &userRec{s: s, v1: v1}
		us, direct := cands.(userList)
		return func(i int) record {
			if direct {
				r.u = us[i]
			} else {
				r.u = s.users[cands.At(i)]
			}
			return r
		}
	}
}

// narrowUsers answers the most selective indexed filter of a user list:
// id lists from the id map, group and role membership from their member
// indexes, app_id through the roles granting the app, and updated_since
// from the updated_at index. Other filters are then checked on its result.
func (s *Server) narrowUsers(q listQuery) (idSeq, []string) {
	var best idSeq
	var used string
	consider := func(k string, ids idSeq) {
		if best == nil || ids.Len() < best.Len() {
			best, used = ids, k
		}
	}
	for k := range q.rest {
		v := q.rest.Get(k)
		list, err := parseIDs(v)
		key := fmt.Sprintf("users where %s=%s", k, v)
		switch {
		case k == "updated_since":
			if t, ok := parseFilterTime(v); ok {
				consider(k, s.cached(key, func() idList { return s.updIdx.since(s.users, t, s.opts.SinceInclusive) }))
			}
		case err != nil:
		case k == "id" || k == "user_ids":
			consider(k, slices.DeleteFunc(list, func(id int64) bool { return s.users[id] == nil }))
		case k == "group_id":
			consider(k, s.cached(key, func() idList {
				var sets []idSeq
				for _, g := range list {
					sets = append(sets, s.groupIdx[g])
				}
				return mergeIDs(sets...)
			}))
		case k == "role_ids" || k == "role_id":
			consider(k, s.cached(key, func() idList { return s.roleHolders(list) }))
		case k == "app_id":
			consider(k, s.cached(key, func() idList { return s.roleHolders(s.rolesWithApps(list)) }))
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, []string{used}
}

// userSnapshot copies a stored user and fills in its role ids.
func (s *Server) userSnapshot(u *user) User {
	out := copyUser(u.User)
	out.RoleIDs = s.userRoleIDs(u.ID)
	out.CustomAttributes = make(map[string]*string, len(s.customAttr))
	for i, k := range s.customAttr {
		out.CustomAttributes[k] = clonePtr(u.custom[i])
	}
	return out
}

func (s *Server) userRoleIDs(id int64) []int64 {
	var ids []int64
	for _, r := range s.roles { // ascending by id
		if _, ok := r.users.find(id); ok {
			ids = append(ids, r.id)
		}
	}
	return ids
}

func (s *Server) listUsers(c *call) *response {
	v1 := c.rt.version == apiV1
	return c.list(s.userSource(v1), s.userSpec(v1))
}

// lookupUser resolves the :id segment: v1 rejects a non-integer id with the
// attribute-object message; both versions answer 404 for unknown ids.
func (c *call) lookupUser() (*user, *response) {
	id, err := strconv.ParseInt(c.param, 10, 64)
	if err != nil && c.rt.version == apiV1 {
		return nil, v1Err(400, v1Attr("id", "ID is incorrect"))
	}
	u := c.s.users[id]
	if err != nil || u == nil {
		if c.rt.version == apiV1 {
			return nil, v1Err(404, fmt.Sprintf("User for id %s was not found", c.param))
		}
		return nil, v2Err(404, notFoundV2)
	}
	return u, nil
}

// jsonObject decodes the request body as a JSON object; an empty body is an
// empty object.
// userAndBody is the start of every write on one user: the user named in
// the path, then the JSON object body.
func (c *call) userAndBody() (*user, map[string]json.RawMessage, *response) {
	u, fail := c.lookupUser()
	if fail != nil {
		return nil, nil, fail
	}
	obj, fail := c.jsonObject()
	if fail != nil {
		return nil, nil, fail
	}
	return u, obj, nil
}

func (c *call) jsonObject() (map[string]json.RawMessage, *response) {
	obj := map[string]json.RawMessage{}
	if len(c.body) == 0 {
		return obj, nil
	}
	if err := json.Unmarshal(c.body, &obj); err != nil || obj == nil {
		return nil, c.fail(400, "Input JSON is not valid")
	}
	return obj, nil
}

func (c *call) getUser(v1 bool, u *user) *response {
	it := userWire(c.s.userSnapshot(u), v1)
	if v1 {
		return v1OK([]item{it})
	}
	return v2JSON(200, it)
}

func (s *Server) getUser(c *call) *response {
	u, fail := c.lookupUser()
	if fail != nil {
		return fail
	}
	return c.getUser(c.rt.version == apiV1, u)
}

// validatePolicy reads the validate_policy query parameter (default true on v2).
func (c *call) validatePolicy() bool { return c.query.Get("validate_policy") != "false" }

func (s *Server) createUserV2(c *call) *response {
	obj, fail := c.jsonObject()
	if fail != nil {
		return fail
	}
	u, err := s.createUser(userWrite{fields: obj, validatePolicy: c.validatePolicy(), creating: true}, c.now)
	if err != nil {
		return c.errorResponse(err)
	}
	return v2JSON(201, userWire(s.userSnapshot(u), false))
}

// createUser is the one create path (HTTP, Go API, admin API). Without a
// password the user gets status 7, Password pending (§6.4).
func (s *Server) createUser(w userWrite, now time.Time) (*user, error) {
	u := &user{User: User{
		ID: s.nextUserID + 1, Status: statusPasswordPending, State: 1, CreatedAt: now,
	}, custom: make([]*string, len(s.customAttr))}
	if err := s.applyUserWrite(u, w, now); err != nil {
		return nil, err
	}
	s.nextUserID = u.ID
	s.users[u.ID] = u
	s.order.insert(u)
	s.version++
	s.emitUser(EventUserCreated, now, &u.User, "")
	s.countWrite(u.ID, WriteCreate)
	return u, nil
}

func (s *Server) updateUserV2(c *call) *response {
	u, obj, fail := c.userAndBody()
	if fail != nil {
		return fail
	}
	// Manage Users may not set passwords (§3).
	if _, ok := obj["password"]; ok && !s.creds[c.tok.clientID].scope().Includes(ScopeManageAll) {
		return s.denied(c)
	}
	if err := s.applyUserWrite(u, userWrite{fields: obj, validatePolicy: c.validatePolicy()}, c.now); err != nil {
		return c.errorResponse(err)
	}
	return c.getUser(false, u)
}

// deleteUser answers 204 on v2 and a status envelope on v1 (§6.4).
func (s *Server) deleteUser(c *call) *response {
	u, fail := c.lookupUser()
	if fail != nil {
		return fail
	}
	s.removeUser(u.ID, c.now)
	if c.rt.version == apiV1 {
		return v1OK(nil)
	}
	return v2NoContent()
}

func (s *Server) removeUser(id int64, now time.Time) {
	if u := s.users[id]; u != nil {
		s.regroup(id, u.GroupID, 0)
		s.emitUser(EventUserDeleted, now, &u.User, "")
		s.countWrite(id, WriteDelete)
	}
	delete(s.users, id)
	s.order.remove(id)
	for _, r := range s.roles {
		r.users.remove(id)
		r.admins.remove(id)
	}
	s.version++
}

// regroup moves a user between group member indexes.
func (s *Server) regroup(id, from, to int64) {
	if from == to {
		return
	}
	if from != 0 {
		l := s.groupIdx[from]
		l.remove(id)
		s.groupIdx[from] = l
	}
	if to != 0 {
		l := s.groupIdx[to]
		l.insert(id)
		s.groupIdx[to] = l
	}
}

// unlockUser serves POST /api/2/users/:id/unlock, with the documented
// "messsage" typo (§6.5).
func (s *Server) unlockUser(c *call) *response {
	u, obj, fail := c.userAndBody()
	if fail != nil {
		return fail
	}
	if len(obj) > 0 {
		return v2Err(400, "unknown attribute: "+slices.Sorted(maps.Keys(obj))[0])
	}
	if u.Status != statusLocked {
		return v2JSON(s.opts.UnlockNotLockedStatus, map[string]string{"message": "User cannot be unlocked"})
	}
	u.Status, u.LockedUntil, u.InvalidLoginAttempts = statusActive, nil, 0
	s.touch(&u.User, c.now)
	s.emitUser(EventUserUnlocked, c.now, &u.User, "")
	s.countWrite(u.ID, WriteUnlock)
	return v2JSON(200, map[string]string{"messsage": "User unlocked"})
}
