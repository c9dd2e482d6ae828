package olsim_test

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

type eventPage struct {
	Pagination struct {
		AfterCursor *string `json:"after_cursor"`
		NextLink    *string `json:"next_link"`
	} `json:"pagination"`
	Data []map[string]any `json:"data"`
}

// events follows next_link from path and returns every event.
func (h *harness) events(path, tok string) []map[string]any {
	h.t.Helper()
	var out []map[string]any
	for path != "" {
		r := h.get(path, tok)
		requireV1(h.t, r, 200, "Success")
		var p eventPage
		r.json(h.t, &p)
		require.LessOrEqual(h.t, len(p.Data), 50)
		out = append(out, p.Data...)
		path = ""
		if p.Pagination.NextLink != nil {
			u, err := url.Parse(*p.Pagination.NextLink)
			require.NoError(h.t, err)
			path = u.RequestURI()
		}
	}
	return out
}

func typeIDs(t *testing.T, h *harness, tok string) map[string]float64 {
	t.Helper()
	var env struct {
		Data []struct {
			ID          float64 `json:"id"`
			Name        string  `json:"name"`
			Description string  `json:"description"`
		} `json:"data"`
	}
	r := h.get("/api/1/events/types", tok)
	requireV1(t, r, 200, "Success")
	r.json(t, &env)
	out := map[string]float64{}
	for _, d := range env.Data {
		require.NotEmpty(t, d.Description)
		out[d.Name] = d.ID
	}
	return out
}

// Every kind of change, through the API and the admin API, leaves an event
// naming what changed, in order, with OneLogin's fields.
func TestEventsFromChanges(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 20, Roles: 2, Groups: 3})
	tok := h.token(adminID)
	u := h.sim.Users()
	role, group := h.sim.Roles()[0], h.sim.Groups()[2]
	ok := func(r resp, status int) {
		t.Helper()
		require.Equal(t, status, r.StatusCode, "%s", r.body)
	}
	start := epoch
	step := func() { h.clock.Advance(time.Second) }
	// lacking finds a user from u[10] on who does not hold the role.
	lacking := func(r olsim.Role) int {
		for i := 10; ; i++ {
			if !slices.Contains(r.UserIDs, u[i].ID) {
				return i
			}
		}
	}
	free := u[lacking(role)]
	ok(h.call("PUT", fmt.Sprintf("/api/2/users/%d", u[0].ID), tok, `{"status":2}`), 200)
	step()
	ok(h.call("PUT", fmt.Sprintf("/api/2/users/%d", u[1].ID), tok, fmt.Sprintf(`{"group_id":%d,"title":"Boss"}`, group.ID)), 200)
	step()
	ok(h.call("POST", fmt.Sprintf("/api/2/roles/%d/users", role.ID), tok, fmt.Sprintf("[%d]", free.ID)), 200)
	ok(h.call("DELETE", fmt.Sprintf("/api/2/roles/%d/users", role.ID), tok, fmt.Sprintf("[%d]", free.ID)), 204)
	ok(h.call("PUT", fmt.Sprintf("/api/1/users/%d/set_state", u[3].ID), tok, `{"state":2}`), 200)
	ok(h.call("PUT", fmt.Sprintf("/api/1/users/%d/lock_user", u[4].ID), tok, `{"locked_until":30}`), 200)
	ok(h.call("POST", fmt.Sprintf("/api/2/users/%d/unlock", u[4].ID), tok, ""), 200)
	ok(h.call("PUT", fmt.Sprintf("/api/1/users/%d/logout", u[5].ID), tok, ""), 200)
	ok(h.call("PUT", fmt.Sprintf("/api/1/users/set_password_clear_text/%d", u[6].ID), tok, `{"password":"Xy1!xxxxxx","password_confirmation":"Xy1!xxxxxx"}`), 200)
	ok(h.call("POST", "/api/1/invites/send_invite_link", tok, fmt.Sprintf(`{"email":%q}`, u[7].Email)), 200)
	created := h.call("POST", "/api/2/users", tok, `{"email":"ev@acme.com","firstname":"Eve"}`)
	ok(created, 201)
	ok(h.call("DELETE", fmt.Sprintf("/api/2/users/%d", u[8].ID), tok, ""), 204)
	other := h.sim.Roles()[1]
	ok(h.call("PUT", fmt.Sprintf("/api/1/users/%d/add_roles", u[lacking(other)].ID), tok, fmt.Sprintf(`{"role_id_array":[%d]}`, other.ID)), 200)
	step()
	ok(h.admin("DELETE", fmt.Sprintf("users/%d", u[9].ID), ""), 200)
	// A write that changes nothing leaves no event.
	ok(h.call("PUT", fmt.Sprintf("/api/2/users/%d", u[0].ID), tok, `{"status":2}`), 200)

	ids := typeIDs(t, h, tok)
	require.Equal(t, float64(13), ids[olsim.EventUserCreated], "13 is OneLogin's own id")
	name := map[float64]string{}
	for n, id := range ids {
		name[id] = n
	}
	all := h.events("/api/1/events", tok)
	want := []struct {
		typ  string
		user int64
	}{
		{olsim.EventUserSuspended, u[0].ID}, {olsim.EventUserGroupChanged, u[1].ID}, {olsim.EventUserUpdated, u[1].ID},
		{olsim.EventUserRoleAdded, free.ID}, {olsim.EventUserRoleRemoved, free.ID}, {olsim.EventUserStateChanged, u[3].ID},
		{olsim.EventUserLocked, u[4].ID}, {olsim.EventUserUnlocked, u[4].ID}, {olsim.EventUserLoggedOut, u[5].ID},
		{olsim.EventUserPasswordSet, u[6].ID}, {olsim.EventUserInviteSent, u[7].ID},
		{olsim.EventUserCreated, int64(created.obj(t)["id"].(float64))}, {olsim.EventUserDeleted, u[8].ID},
		{olsim.EventUserRoleAdded, u[lacking(other)].ID}, {olsim.EventUserDeleted, u[9].ID},
	}
	require.Len(t, all, len(want))
	for i, w := range want {
		e := all[i]
		require.Equal(t, w.typ, name[e["event_type_id"].(float64)], "event %d", i)
		require.Equal(t, float64(w.user), e["user_id"], "event %d", i)
		require.NotEmpty(t, e["user_name"])
		require.Equal(t, float64(olsim.DefaultAccountID), e["account_id"])
		if i > 0 {
			require.Equal(t, all[i-1]["id"].(float64)+1, e["id"], "ids are consecutive")
		}
		for _, k := range []string{"created_at", "group_id", "group_name", "role_id", "role_name", "actor_user_id",
			"actor_user_name", "actor_system", "client_id", "notes", "app_id", "ipaddr", "directory_sync_run_id"} {
			require.Contains(t, e, k)
		}
	}
	require.Equal(t, adminID, all[0]["client_id"])
	require.Equal(t, "API", all[0]["actor_system"])
	require.NotNil(t, all[0]["actor_user_id"])
	require.Equal(t, "status 1 -> 2", all[0]["notes"])
	require.Equal(t, float64(group.ID), all[1]["group_id"])
	require.Equal(t, group.Name, all[1]["group_name"])
	require.Equal(t, float64(role.ID), all[3]["role_id"])
	require.Equal(t, role.Name, all[3]["role_name"])
	last := all[len(all)-1]
	require.Equal(t, "olsim", last["actor_system"], "the admin API deleted it")
	require.Nil(t, last["client_id"])

	t.Run("filters", func(t *testing.T) {
		deleted := h.events(fmt.Sprintf("/api/1/events?event_type_id=%v", ids[olsim.EventUserDeleted]), tok)
		require.Len(t, deleted, 2)
		both := h.events(fmt.Sprintf("/api/1/events?event_type_id=%v,%v", ids[olsim.EventUserDeleted], ids[olsim.EventUserCreated]), tok)
		require.Len(t, both, 3)
		require.Len(t, h.events(fmt.Sprintf("/api/1/events?user_id=%d", u[4].ID), tok), 2)
		require.Len(t, h.events("/api/1/events?since="+start.Add(time.Second).Format(time.RFC3339), tok), len(all)-1)
		require.Len(t, h.events("/api/1/events?until="+start.Add(time.Second).Format(time.RFC3339), tok), 3, "both bounds inclusive")
		require.Len(t, h.events("/api/1/events?client_id="+adminID, tok), len(all)-1)
		newest := h.events("/api/1/events?sort=-id&limit=1", tok)
		require.Equal(t, last["id"], newest[0]["id"])
		bad := h.get("/api/1/events?since=soon", tok)
		requireV1(t, bad, 400, `invalid value in "since"`)
	})
	t.Run("one event", func(t *testing.T) {
		id := strconv.FormatFloat(all[3]["id"].(float64), 'f', 0, 64)
		r := h.get("/api/1/events/"+id, tok)
		requireV1(t, r, 200, "Success")
		var env eventPage
		r.json(t, &env)
		require.Equal(t, []map[string]any{all[3]}, env.Data)
		requireV1(t, h.get("/api/1/events/1", tok), 404, "Event for id 1 was not found")
		requireV1(t, h.get("/api/1/events/x", tok), 400, map[string]any{"attribute": "id", "description": "ID is incorrect"})
	})
	t.Run("scope and budget", func(t *testing.T) {
		r := h.get("/api/1/events", h.token(scopeIDs[olsim.ScopeAuthOnly]))
		requireV1(t, r, 401, "Insufficient Permission")
		require.NotEmpty(t, h.get("/api/1/events", tok).Header.Get("X-RateLimit-Remaining"))
		require.Equal(t, 200, h.get("/api/1/events", h.token(readerID)).StatusCode)
	})
	t.Run("Go API", func(t *testing.T) {
		evs := h.sim.Events()
		require.Len(t, evs, len(all))
		require.Equal(t, olsim.EventUserDeleted, evs[len(evs)-1].Type)
		require.Equal(t, u[9].ID, evs[len(evs)-1].UserID)
	})
}

func TestEventPagingAndOptions(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 80, EventCapacity: 70, EventTypeIDs: map[string]int{olsim.EventUserUpdated: 9001}})
	tok := h.token(adminID)
	users := h.sim.Users()
	for i, u := range users {
		_, err := h.sim.UpdateUser(u.ID, olsim.Fields{"title": fmt.Sprint("T", i)})
		require.NoError(t, err)
	}
	first := h.get("/api/1/events", tok)
	var p eventPage
	first.json(t, &p)
	require.Len(t, p.Data, 50)
	require.Equal(t, float64(9001), p.Data[0]["event_type_id"], "EventTypeIDs overrides")
	require.Equal(t, float64(users[10].ID), p.Data[0]["user_id"], "the ring kept the last 70 of 80")
	all := h.events("/api/1/events", tok)
	require.Len(t, all, 70)
	require.Equal(t, float64(users[79].ID), all[69]["user_id"])
	evicted := strconv.FormatFloat(all[0]["id"].(float64)-1, 'f', 0, 64)
	requireV1(t, h.get("/api/1/events/"+evicted, tok), 404, "Event for id "+evicted+" was not found")

	t.Run("newest first", func(t *testing.T) {
		h := newHarness(t, olsim.Options{Users: 5, EventsNewestFirst: true})
		tok := h.token(adminID)
		for _, u := range h.sim.Users() {
			require.Equal(t, 200, h.call("PUT", fmt.Sprintf("/api/1/users/%d/logout", u.ID), tok, "").StatusCode)
		}
		evs := h.events("/api/1/events?limit=2", tok)
		require.Len(t, evs, 5)
		require.Greater(t, evs[0]["id"], evs[1]["id"])
		asc := h.events("/api/1/events?sort=%2Bid", tok)
		require.Less(t, asc[0]["id"], asc[1]["id"])
	})
	t.Run("no events", func(t *testing.T) {
		h := newHarness(t, olsim.Options{Users: 5, EventCapacity: -1})
		_, err := h.sim.UpdateUser(h.sim.Users()[0].ID, olsim.Fields{"title": "x"})
		require.NoError(t, err)
		require.Empty(t, h.sim.Events())
	})
}

// Writes counts applied API writes per user and kind; the admin and Go
// APIs do not count, and neither do refused writes.
func TestWriteCounters(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 20, Roles: 3})
	tok := h.token(adminID)
	u := h.sim.Users()
	roles := h.sim.Roles()
	put := func(path, body string, status int) {
		t.Helper()
		r := h.call("PUT", path, tok, body)
		require.Equal(t, status, r.StatusCode, "%s", r.body)
	}
	user := func(i int) string { return fmt.Sprintf("/api/2/users/%d", u[i].ID) }
	put(user(0), `{"status":2}`, 200)
	put(user(0), `{"status":2}`, 200) // a second suspend changes nothing but counts
	put(user(0), `{"status":1,"group_id":null}`, 200)
	put(user(0), `{"status":99}`, 422)
	require.Equal(t, map[string]int{"update": 3, "status": 3, "suspend": 2, "activate": 1, "group": 1}, h.sim.Writes(u[0].ID))

	put(fmt.Sprintf("/api/1/users/%d/add_roles", u[1].ID), fmt.Sprintf(`{"role_id_array":[%d,%d]}`, roles[0].ID, roles[1].ID), 200)
	put(fmt.Sprintf("/api/1/users/%d/add_roles", u[1].ID), fmt.Sprintf(`{"role_id_array":[%d]}`, roles[0].ID), 400)
	require.Equal(t, 200, h.call("POST", fmt.Sprintf("/api/2/roles/%d/users", roles[2].ID), tok, fmt.Sprintf("[%d]", u[1].ID)).StatusCode)
	require.Equal(t, 204, h.call("DELETE", fmt.Sprintf("/api/2/roles/%d/users", roles[2].ID), tok, fmt.Sprintf("[%d]", u[1].ID)).StatusCode)
	require.Equal(t, 200, h.call("POST", fmt.Sprintf("/api/2/roles/%d/admins", roles[2].ID), tok, fmt.Sprintf("[%d]", u[1].ID)).StatusCode)
	put(fmt.Sprintf("/api/1/users/set_password_clear_text/%d", u[1].ID), `{"password":"Ab1xxxxxx","password_confirmation":"Ab1xxxxxx"}`, 200)
	put(fmt.Sprintf("/api/1/users/%d/logout", u[1].ID), "", 200)
	put(fmt.Sprintf("/api/1/users/%d/lock_user", u[1].ID), `{"locked_until":0}`, 200)
	require.Equal(t, 200, h.call("POST", fmt.Sprintf("/api/2/users/%d/unlock", u[1].ID), tok, "").StatusCode)
	require.Equal(t, map[string]int{"add_role": 3, "remove_role": 1, "add_role_admin": 1, "password": 1, "logout": 1, "lock": 1, "unlock": 1},
		h.sim.Writes(u[1].ID))

	// The admin and Go APIs set up state without counting.
	require.NoError(t, h.sim.SetUserGroup(u[2].ID, 0))
	require.Equal(t, 200, h.admin("PUT", fmt.Sprintf("users/%d", u[2].ID), `{"status":2}`).StatusCode)
	require.Nil(t, h.sim.Writes(u[2].ID))

	require.Equal(t, 204, h.call("DELETE", user(3), tok, "").StatusCode)
	require.Equal(t, map[string]int{"delete": 1}, h.sim.Writes(u[3].ID))

	var over map[string]map[string]int
	h.admin("GET", "writes", "").json(t, &over)
	require.Equal(t, h.sim.Writes(u[0].ID), over[strconv.FormatInt(u[0].ID, 10)])
	require.Len(t, over, 3)
	var one map[string]int
	h.admin("GET", fmt.Sprintf("writes/%d", u[1].ID), "").json(t, &one)
	require.Equal(t, 1, one["lock"])
	var none map[string]int
	h.admin("GET", fmt.Sprintf("writes/%d", u[2].ID), "").json(t, &none)
	require.Empty(t, none)

	require.Equal(t, 200, h.admin("POST", "counters/reset", "").StatusCode)
	require.Empty(t, h.sim.AllWrites())
}
