package olsim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

// requireDenied asserts the out-of-scope answer: v1 401 "Insufficient
// Permission"; v2 per Options.V2ScopeDenialStatus.
func requireDenied(t *testing.T, r resp, path string, v2Status int) {
	t.Helper()
	switch {
	case !strings.HasPrefix(path, "/api/2/"):
		requireV1(t, r, 401, "Insufficient Permission")
	case v2Status == 401:
		requireV2Err(t, r, 401, "UnauthorizedError", "Unauthorized")
	default:
		requireV2Err(t, r, 403, "ForbiddenError", "Forbidden")
	}
}

func TestScopeTable(t *testing.T) {
	h := newHarness(t, olsim.Options{})
	users := h.sim.Users()
	role, group, app := h.sim.Roles()[0], h.sim.Groups()[0], h.sim.Apps()[0]
	uid := func(i int) int64 { return users[i].ID }

	readUsers := []olsim.Scope{olsim.ScopeReadUsers, olsim.ScopeManageUsers, olsim.ScopeReadAll, olsim.ScopeManageAll}
	readAll := []olsim.Scope{olsim.ScopeReadAll, olsim.ScopeManageAll}
	manageUsers := []olsim.Scope{olsim.ScopeManageUsers, olsim.ScopeManageAll}
	manageAll := []olsim.Scope{olsim.ScopeManageAll}

	tests := []struct {
		method, path, body string
		allowed            []olsim.Scope
	}{
		{"GET", "/api/2/users", "", readUsers},
		{"GET", fmt.Sprintf("/api/2/users/%d", uid(0)), "", readUsers},
		{"GET", "/api/1/users", "", readUsers},
		{"GET", fmt.Sprintf("/api/1/users/%d", uid(0)), "", readUsers},
		{"GET", "/api/1/groups", "", readUsers},
		{"GET", fmt.Sprintf("/api/1/groups/%d", group.ID), "", readUsers},
		{"GET", "/api/1/roles", "", readUsers},
		{"GET", "/api/2/roles", "", readUsers},
		{"GET", fmt.Sprintf("/api/2/roles/%d", role.ID), "", readUsers},
		{"GET", fmt.Sprintf("/api/2/roles/%d/users", role.ID), "", readUsers},
		{"GET", fmt.Sprintf("/api/2/roles/%d/admins", role.ID), "", readUsers},
		{"GET", "/auth/rate_limit", "", readUsers},
		{"GET", "/api/2/apps", "", readAll},
		{"GET", fmt.Sprintf("/api/2/apps/%d/users", app.ID), "", readAll},
		{"GET", "/api/2/connectors", "", manageAll},
		{"POST", "/api/2/users", `{"email":"new@x.com"}`, manageUsers},
		{"PUT", fmt.Sprintf("/api/2/users/%d", uid(1)), `{"title":"X"}`, manageUsers},
		{"POST", fmt.Sprintf("/api/2/users/%d/unlock", uid(1)), "", manageUsers},
		{"PUT", fmt.Sprintf("/api/1/users/%d/logout", uid(1)), "", manageUsers},
		{"DELETE", fmt.Sprintf("/api/2/users/%d", uid(2)), "", manageUsers},
		{"DELETE", fmt.Sprintf("/api/1/users/%d", uid(3)), "", manageUsers},
		{"PUT", fmt.Sprintf("/api/1/users/%d/set_state", uid(4)), `{"state":1}`, manageAll},
		{"PUT", fmt.Sprintf("/api/1/users/set_password_clear_text/%d", uid(4)), `{"password":"a","password_confirmation":"a"}`, manageAll},
		{"PUT", fmt.Sprintf("/api/1/users/%d/lock_user", uid(4)), `{"locked_until":5}`, manageAll},
		{"PUT", fmt.Sprintf("/api/1/users/%d/add_roles", uid(4)), `{"role_id_array":[1]}`, manageAll},
		{"PUT", fmt.Sprintf("/api/1/users/%d/remove_roles", uid(4)), `{"role_id_array":[1]}`, manageAll},
		{"POST", "/api/1/invites/get_invite_link", `{"email":"` + users[5].Email + `"}`, manageAll},
		{"POST", "/api/1/invites/send_invite_link", `{"email":"` + users[5].Email + `"}`, manageAll},
		{"POST", fmt.Sprintf("/api/2/roles/%d/users", role.ID), fmt.Sprint(`[`, uid(6), `]`), manageAll},
		{"DELETE", fmt.Sprintf("/api/2/roles/%d/users", role.ID), fmt.Sprint(`[`, uid(6), `]`), manageAll},
		{"POST", fmt.Sprintf("/api/2/roles/%d/admins", role.ID), fmt.Sprint(`[`, uid(6), `]`), manageAll},
		{"DELETE", fmt.Sprintf("/api/2/roles/%d/admins", role.ID), fmt.Sprint(`[`, uid(6), `]`), manageAll},
	}
	tokens := map[olsim.Scope]string{}
	for sc, id := range scopeIDs {
		tokens[sc] = h.token(id)
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			for _, sc := range olsim.Scopes() {
				r := h.call(tt.method, tt.path, tokens[sc], tt.body)
				if slices.Contains(tt.allowed, sc) {
					require.NotContains(t, []int{401, 403}, r.StatusCode, "%s should be allowed: %s", sc, r.body)
				} else {
					requireDenied(t, r, tt.path, 403)
				}
			}
		})
	}
}

func TestScopeOptions(t *testing.T) {
	t.Run("v2 denial as 401", func(t *testing.T) {
		h := newHarness(t, olsim.Options{V2ScopeDenialStatus: 401})
		requireDenied(t, h.get("/api/2/apps", h.token(readerID)), "/api/2/apps", 401)
	})
	t.Run("connectors for read all", func(t *testing.T) {
		h := newHarness(t, olsim.Options{ConnectorsScope: olsim.ScopeReadAll})
		require.Equal(t, 200, h.get("/api/2/connectors?limit=1", h.token(scopeIDs[olsim.ScopeReadAll])).StatusCode)
		requireDenied(t, h.get("/api/2/connectors", h.token(readerID)), "/api/2/connectors", 403)
	})
	t.Run("add_roles for manage users", func(t *testing.T) {
		h := newHarness(t, olsim.Options{AddRolesScope: olsim.ScopeManageUsers})
		u, r := h.sim.Users()[0], h.sim.Roles()[0]
		h.sim.RemoveUserRoles(u.ID, r.ID)
		res := h.call("PUT", fmt.Sprintf("/api/1/users/%d/add_roles", u.ID), h.token(scopeIDs[olsim.ScopeManageUsers]), fmt.Sprintf(`{"role_id_array":[%d]}`, r.ID))
		requireV1(t, res, 200, "Success")
	})
	t.Run("manage users cannot set passwords", func(t *testing.T) {
		h := newHarness(t, olsim.Options{})
		u := h.sim.Users()[0]
		res := h.call("PUT", fmt.Sprintf("/api/2/users/%d", u.ID), h.token(scopeIDs[olsim.ScopeManageUsers]), `{"password":"Abcdefg1","password_confirmation":"Abcdefg1"}`)
		requireDenied(t, res, "/api/2/users", 403)
	})
}

func TestParseScope(t *testing.T) {
	tests := map[string]olsim.Scope{
		"manage_all": olsim.ScopeManageAll, "Manage All": olsim.ScopeManageAll, "read-all": olsim.ScopeReadAll,
		"Read Users": olsim.ScopeReadUsers, "manage users": olsim.ScopeManageUsers, "Authentication Only": olsim.ScopeAuthOnly,
	}
	for in, want := range tests {
		got, err := olsim.ParseScope(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := olsim.ParseScope("root")
	require.Error(t, err)
}
