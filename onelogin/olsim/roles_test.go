package olsim_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

func TestListRoles(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 40, Roles: 12})
	tok := h.token(readerID)
	roles := h.sim.Roles()

	var items []map[string]any
	r := h.get("/api/2/roles", tok)
	r.json(t, &items)
	require.Len(t, items, 12)
	require.ElementsMatch(t, []string{"id", "name"}, keys(items[0]), "id and name by default")

	items = nil
	h.get("/api/2/roles?fields=users,apps", tok).json(t, &items)
	require.ElementsMatch(t, []string{"id", "name", "users", "apps"}, keys(items[0]))
	require.Len(t, items[0]["users"], len(roles[0].UserIDs))

	items = nil
	h.get("/api/2/roles?name="+roles[2].Name, tok).json(t, &items)
	require.Len(t, items, 1)
	require.Equal(t, float64(roles[2].ID), items[0]["id"])

	require.Equal(t, "12", h.get("/api/2/roles?limit=10000", tok).Header.Get("Page-Items"), "max 650")

	t.Run("default fields option", func(t *testing.T) {
		h := newHarness(t, olsim.Options{Users: 5, RoleDefaultFields: []string{"admins"}})
		var items []map[string]any
		h.get("/api/2/roles", h.token(readerID)).json(t, &items)
		require.ElementsMatch(t, []string{"id", "name", "admins"}, keys(items[0]))
	})
	t.Run("single role", func(t *testing.T) {
		m := h.get(fmt.Sprintf("/api/2/roles/%d", roles[0].ID), tok).obj(t)
		require.Equal(t, roles[0].Name, m["name"])
		requireV2Err(t, h.get("/api/2/roles/1", tok), 404, "NotFoundError", "The resource with the given id could not be found")
	})
	t.Run("v1", func(t *testing.T) {
		r := h.get("/api/1/roles", tok)
		requireV1(t, r, 200, "Success")
		var env struct {
			Data []map[string]any `json:"data"`
		}
		r.json(t, &env)
		require.Len(t, env.Data, 12)
		require.Equal(t, map[string]any{"id": float64(roles[0].ID), "name": roles[0].Name}, env.Data[0])
	})
}

func TestRoleMembers(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 30, Roles: 3})
	tok := h.token(adminID)
	role := h.sim.Roles()[1]
	users := h.sim.Users()
	path := fmt.Sprintf("/api/2/roles/%d/users", role.ID)
	var outsider []int64
	for _, u := range users {
		if !slices.Contains(role.UserIDs, u.ID) {
			outsider = append(outsider, u.ID)
		}
	}
	a, b := outsider[0], outsider[1]

	// Ids as numbers or as strings (baton sends ["123"]).
	r := h.call("POST", path, tok, fmt.Sprintf(`[%d,"%d"]`, a, b))
	require.Equal(t, 200, r.StatusCode, "%s", r.body)
	require.JSONEq(t, fmt.Sprintf(`[{"id":%d},{"id":%d}]`, a, b), string(r.body))

	var members []map[string]any
	h.get(path+"?limit=100", tok).json(t, &members)
	require.Len(t, members, len(role.UserIDs)+2)
	var added map[string]any
	for _, m := range members {
		if m["id"] == float64(a) {
			added = m
		}
	}
	require.Equal(t, true, added["assigned"])
	require.Equal(t, "2024-05-01T12:00:00.000Z", added["added_at"])
	require.Contains(t, added, "added_by")
	for _, k := range []string{"name", "username", "email"} {
		require.Contains(t, added, k)
	}
	got, _ := h.sim.User(a)
	require.Contains(t, got.RoleIDs, role.ID)
	require.Equal(t, epoch, got.UpdatedAt, "role changes bump updated_at")

	var everyone []map[string]any
	h.get(path+"?include_unassigned=true&limit=100", tok).json(t, &everyone)
	require.Len(t, everyone, len(users))

	requireV2Err(t, h.call("DELETE", path, tok, fmt.Sprintf(`{"user_id":[%d]}`, a)), 400, "BadRequestError", "Expected array in request")
	requireV2Err(t, h.call("POST", path, tok, `{"users":[1]}`), 400, "BadRequestError", "Expected array in request")
	requireV2Err(t, h.call("POST", path, tok, `[1]`), 422, "UnprocessableEntityError", "Validation failed: User 1 does not exist")

	r = h.call("DELETE", path, tok, fmt.Sprintf(`[%d,%d]`, a, b))
	require.Equal(t, 204, r.StatusCode)
	require.Empty(t, r.body)
	require.Equal(t, role.UserIDs, h.sim.Roles()[1].UserIDs)

	t.Run("admins", func(t *testing.T) {
		p := fmt.Sprintf("/api/2/roles/%d/admins", role.ID)
		require.Equal(t, 200, h.call("POST", p, tok, fmt.Sprintf(`[%d]`, a)).StatusCode)
		require.Contains(t, h.sim.Roles()[1].AdminIDs, a)
		require.Equal(t, 204, h.call("DELETE", p, tok, fmt.Sprintf(`[%d]`, a)).StatusCode)
	})
	t.Run("role changes can keep updated_at", func(t *testing.T) {
		h := newHarness(t, olsim.Options{Users: 5, RoleChangesKeepUpdatedAt: true})
		u, rl := h.sim.Users()[0], h.sim.Roles()[0]
		h.sim.RemoveUserRoles(u.ID, rl.ID)
		before, _ := h.sim.User(u.ID)
		h.clock.Advance(1)
		require.NoError(t, h.sim.AddUserRoles(u.ID, rl.ID))
		after, _ := h.sim.User(u.ID)
		require.Equal(t, before.UpdatedAt, after.UpdatedAt)
	})
}

func TestGroups(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5, Groups: 60})
	tok := h.token(readerID)
	r := h.get("/api/1/groups", tok)
	requireV1(t, r, 200, "Success")
	var env struct {
		Pagination struct {
			AfterCursor *string `json:"after_cursor"`
		} `json:"pagination"`
		Data []map[string]any `json:"data"`
	}
	r.json(t, &env)
	require.Len(t, env.Data, 50)
	require.Contains(t, env.Data[0], "reference")
	require.Nil(t, env.Data[0]["reference"])
	require.NotNil(t, env.Pagination.AfterCursor)

	g := h.sim.Groups()[3]
	r = h.get(fmt.Sprintf("/api/1/groups/%d", g.ID), tok)
	requireV1(t, r, 200, "Success")
	r.json(t, &env)
	require.Equal(t, []map[string]any{{"id": float64(g.ID), "name": g.Name, "reference": nil}}, env.Data)
	requireV1(t, h.get("/api/1/groups/9999999", tok), 404, "Group for id 9999999 was not found")
	requireV1(t, h.get("/api/1/groups/abc", tok), 400, map[string]any{"attribute": "id", "description": "ID is incorrect"})
}

func TestAppsAndConnectors(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 30, Apps: 25})
	tok := h.token(scopeIDs[olsim.ScopeReadAll])
	apps := h.sim.Apps()

	var items []map[string]any
	h.get("/api/2/apps?limit=100", tok).json(t, &items)
	require.Len(t, items, 25)
	for _, k := range []string{"id", "connector_id", "auth_method", "auth_method_description", "name", "visible", "created_at", "updated_at", "role_ids"} {
		require.Contains(t, items[0], k)
	}
	var hidden int
	for _, a := range apps {
		if !a.Visible {
			hidden++
		}
	}
	require.Positive(t, hidden, "some apps are not visible")

	items = nil
	h.get("/api/2/apps?auth_method=2", tok).json(t, &items)
	for _, it := range items {
		require.Equal(t, float64(2), it["auth_method"])
	}
	items = nil
	h.get("/api/2/apps?name="+apps[0].Name[:3]+"*", tok).json(t, &items)
	require.NotEmpty(t, items)
	requireV2Err(t, h.get("/api/2/apps?auth_method=5", tok), 422, "UnprocessableEntityError", `invalid value in "auth_method"`)

	admin := h.token(adminID)
	var conns []map[string]any
	h.get("/api/2/connectors", admin).json(t, &conns)
	require.NotEmpty(t, conns)
	require.ElementsMatch(t, []string{"id", "name", "auth_method", "allows_new_parameters", "icon_url"}, keys(conns[0]))

	var appUsers []map[string]any
	r := h.get(fmt.Sprintf("/api/2/apps/%d/users", apps[0].ID), tok)
	require.Equal(t, 200, r.StatusCode)
	r.json(t, &appUsers)
	if len(appUsers) > 0 {
		require.ElementsMatch(t, []string{"id", "firstname", "lastname", "username", "email"}, keys(appUsers[0]))
	}
}

func TestInvites(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 10})
	tok := h.token(adminID)
	u := h.sim.Users()[2]

	r := h.call("POST", "/api/1/invites/get_invite_link", tok, fmt.Sprintf(`{"email":%q}`, u.Email))
	requireV1(t, r, 200, "Success")
	var env struct {
		Data []string `json:"data"`
	}
	r.json(t, &env)
	require.Len(t, env.Data, 1)
	require.Regexp(t, `^https://acme\.onelogin\.com/password/reset\?token=[0-9a-f]+$`, env.Data[0])
	require.Empty(t, h.sim.SentInvites(), "get_invite_link sends nothing")

	requireV1(t, h.call("POST", "/api/1/invites/send_invite_link", tok, fmt.Sprintf(`{"email":%q}`, u.Email)), 200, "Email sent successfully to "+u.Email)
	requireV1(t, h.call("POST", "/api/1/invites/send_invite_link", tok, fmt.Sprintf(`{"email":%q,"personal_email":"me@home.net"}`, u.Email)), 200, "Email sent successfully to me@home.net")
	sent := h.sim.SentInvites()
	require.Len(t, sent, 2)
	require.Equal(t, "me@home.net", sent[1].To)
	require.Equal(t, u.ID, sent[1].UserID)
	got, _ := h.sim.User(u.ID)
	require.Equal(t, epoch, *got.InvitationSentAt)

	tests := []struct{ body, message string }{
		{`{}`, "Email Parameter is missing"},
		{`{"email":"not-an-email"}`, "Email Input is in incorrect format"},
		{`{"email":"nobody@acme.com"}`, "No User exists for input email"},
		{fmt.Sprintf(`{"email":%q}`, swapCase(u.Email)), "No User exists for input email"},
	}
	for _, tt := range tests {
		for _, ep := range []string{"get_invite_link", "send_invite_link"} {
			requireV1(t, h.call("POST", "/api/1/invites/"+ep, tok, tt.body), 400, tt.message)
		}
	}
}

// swapCase flips the case of every letter: emails match case-sensitively.
func swapCase(s string) string {
	out := []rune(s)
	for i, r := range out {
		switch {
		case r >= 'a' && r <= 'z':
			out[i] = r - 32
		case r >= 'A' && r <= 'Z':
			out[i] = r + 32
		}
	}
	return string(out)
}
