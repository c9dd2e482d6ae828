package olsim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

func TestAdminState(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 12, Groups: 3, Roles: 4, Apps: 5, AccountID: 42})
	tok := h.token(readerID)
	h.get("/api/1/groups", tok)
	st := h.admin("GET", "state", "").obj(t)
	require.Equal(t, "acme", st["subdomain"])
	require.Equal(t, float64(42), st["account_id"])
	require.Equal(t, map[string]any{"users": float64(12), "groups": float64(3), "roles": float64(4), "apps": float64(5)}, st["org"])
	require.Equal(t, "2024-05-01T12:00:00.000Z", st["now"])
	require.Equal(t, float64(1), st["requests"].(map[string]any)["GET /api/1/groups"])
	require.Equal(t, float64(4999), st["rate_limit"].(map[string]any)["remaining"])

	require.Equal(t, 200, h.admin("POST", "counters/reset", "").StatusCode)
	require.Zero(t, h.sim.RequestCount("GET /api/1/groups"))
	var keys []string
	h.admin("GET", "endpoints", "").json(t, &keys)
	require.Contains(t, keys, "GET /api/2/users/:id")
	require.Equal(t, 404, h.admin("GET", "nothing", "").StatusCode)
}

func TestAdminFaultsAndClock(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5})
	tok := h.token(readerID)
	r := h.admin("PUT", "faults", `{"burst_429":1,"latency":"1ms","fail_after":[{"endpoint":"GET /api/1/groups","count":0,"status":503}]}`)
	require.Equal(t, 200, r.StatusCode, "%s", r.body)
	f := h.sim.Faults()
	require.Equal(t, 1, f.Burst429)
	require.Equal(t, time.Millisecond, f.Latency)
	require.Equal(t, 429, h.get("/api/2/users", tok).StatusCode)
	require.Equal(t, 503, h.get("/api/1/groups", tok).StatusCode)
	require.Equal(t, `"1ms"`, fmt.Sprint(`"`, h.admin("GET", "faults", "").obj(t)["latency"], `"`))
	require.Equal(t, 200, h.admin("DELETE", "faults", "").StatusCode)
	require.Equal(t, olsim.Faults{}, h.sim.Faults())

	r = h.admin("POST", "clock", `{"advance":"11h"}`)
	require.Equal(t, 200, r.StatusCode)
	require.Equal(t, "2024-05-01T23:00:00.000Z", r.obj(t)["now"])
	require.Equal(t, 401, h.get("/api/2/users", tok).StatusCode, "the 10h token expired")
	require.Equal(t, "2030-01-01T00:00:00.000Z", h.admin("POST", "clock", `{"set":"2030-01-01T00:00:00Z"}`).obj(t)["now"])
	require.Equal(t, 400, h.admin("POST", "clock", `{}`).StatusCode)
}

func TestAdminUsers(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5, Groups: 2, Roles: 2})
	group, role := h.sim.Groups()[1], h.sim.Roles()[1]

	r := h.admin("POST", "users", `{"email":"admin.made@acme.com","firstname":"Ada","password":"whatever"}`)
	require.Equal(t, 200, r.StatusCode, "%s", r.body)
	u := r.obj(t)
	id := int64(u["id"].(float64))
	require.Equal(t, float64(1), u["status"])
	require.True(t, h.sim.CheckPassword(id, "whatever"))
	require.Equal(t, 422, h.admin("POST", "users", `{"email":"admin.made@acme.com"}`).StatusCode)

	require.Equal(t, "Lovelace", h.admin("PUT", fmt.Sprintf("users/%d", id), `{"lastname":"Lovelace"}`).obj(t)["lastname"])
	require.Equal(t, float64(group.ID), h.admin("PUT", fmt.Sprintf("users/%d/group", id), fmt.Sprintf(`{"group_id":%d}`, group.ID)).obj(t)["group_id"])
	require.Nil(t, h.admin("PUT", fmt.Sprintf("users/%d/group", id), `{"group_id":null}`).obj(t)["group_id"])
	require.Equal(t, []any{float64(role.ID)}, h.admin("POST", fmt.Sprintf("users/%d/roles", id), fmt.Sprintf(`{"role_ids":[%d]}`, role.ID)).obj(t)["role_ids"])
	require.Empty(t, h.admin("DELETE", fmt.Sprintf("users/%d/roles", id), fmt.Sprintf(`{"role_ids":[%d]}`, role.ID)).obj(t)["role_ids"])
	require.Equal(t, 404, h.admin("POST", fmt.Sprintf("users/%d/roles", id), `{"role_ids":[1]}`).StatusCode)

	require.Equal(t, "Ada", h.admin("GET", fmt.Sprintf("users/%d", id), "").obj(t)["firstname"])
	require.Equal(t, 200, h.admin("DELETE", fmt.Sprintf("users/%d", id), "").StatusCode)
	require.Equal(t, 404, h.admin("GET", fmt.Sprintf("users/%d", id), "").StatusCode)
	require.Equal(t, 404, h.admin("DELETE", fmt.Sprintf("users/%d", id), "").StatusCode)

	var all []map[string]any
	h.admin("GET", "users", "").json(t, &all)
	require.Len(t, all, 5)
}

func TestAdminCredentials(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5})
	r := h.admin("POST", "credentials", `{"client_id":"new","client_secret":"pw","scope":"Read All"}`)
	require.Equal(t, 200, r.StatusCode, "%s", r.body)
	tok := h.do("POST", "/auth/oauth2/v2/token", grantJSON, "Authorization: "+basic("new", "pw"), "Content-Type: application/json")
	require.Equal(t, 200, tok.StatusCode)
	access := tok.obj(t)["access_token"].(string)
	require.Equal(t, 200, h.get("/api/2/apps", access).StatusCode, "read_all may list apps")

	require.Equal(t, 200, h.admin("PUT", "credentials/new/owner_deleted", `{"owner_deleted":true}`).StatusCode)
	require.Equal(t, 500, h.do("POST", "/auth/oauth2/v2/token", grantJSON, "Authorization: "+basic("new", "pw"), "Content-Type: application/json").StatusCode)
	require.Equal(t, 200, h.admin("PUT", "credentials/new/owner_deleted", `{"owner_deleted":false}`).StatusCode)

	adminTok := h.token(adminID)
	require.Equal(t, 200, h.admin("POST", "tokens/revoke", "").StatusCode)
	require.Equal(t, 401, h.get("/api/2/users", adminTok).StatusCode)

	require.Equal(t, 200, h.admin("DELETE", "credentials/new", "").StatusCode)
	require.Equal(t, 401, h.do("POST", "/auth/oauth2/v2/token", grantJSON, "Authorization: "+basic("new", "pw"), "Content-Type: application/json").StatusCode)
	require.Equal(t, 404, h.admin("DELETE", "credentials/new", "").StatusCode)
	require.Equal(t, 400, h.admin("POST", "credentials", `{"client_id":"x","client_secret":"y","scope":"root"}`).StatusCode)
}

func TestAdminInvitesAndLogouts(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5})
	tok := h.token(adminID)
	u := h.sim.Users()[0]
	h.call("POST", "/api/1/invites/send_invite_link", tok, fmt.Sprintf(`{"email":%q}`, u.Email))
	h.call("PUT", fmt.Sprintf("/api/1/users/%d/logout", u.ID), tok, "")
	var invites, logouts []map[string]any
	h.admin("GET", "invites", "").json(t, &invites)
	h.admin("GET", "logouts", "").json(t, &logouts)
	require.Len(t, invites, 1)
	require.Equal(t, u.Email, invites[0]["to"])
	require.Len(t, logouts, 1)
}
