package olsim_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

// listAll pages a list with page numbers until After-Cursor disappears.
func (h *harness) listAll(path, tok string) []int64 {
	h.t.Helper()
	got := []int64{}
	for page := 1; ; page++ {
		r := h.get(fmt.Sprintf("%s&limit=7&page=%d", path, page), tok)
		require.Equal(h.t, 200, r.StatusCode, "%s", r.body)
		got = append(got, ids(h.t, r)...)
		if r.Header.Get("After-Cursor") == "" {
			return got
		}
	}
}

// where lists, ascending, the ids of current users matching pred.
func (h *harness) where(pred func(olsim.User) bool) []int64 {
	out := []int64{}
	for _, u := range h.sim.Users() {
		if pred(u) {
			out = append(out, u.ID)
		}
	}
	return out
}

// The indexes (ordered users, group and role members, updated_at) and the
// list cache must follow every kind of change: each query is checked
// against a scan of the snapshot after each change.
func TestIndexesFollowChanges(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 60, Groups: 4, Roles: 3})
	tok := h.token(adminID)
	users := h.sim.Users()
	group, role := h.sim.Groups()[1], h.sim.Roles()[0]
	since := epoch.Add(time.Minute)
	queries := map[string]func(olsim.User) bool{
		fmt.Sprintf("group_id=%d", group.ID):                               func(u olsim.User) bool { return u.GroupID == group.ID },
		fmt.Sprintf("role_ids=%d", role.ID):                                func(u olsim.User) bool { return slices.Contains(u.RoleIDs, role.ID) },
		"updated_since=" + url.QueryEscape(since.Format(time.RFC3339Nano)): func(u olsim.User) bool { return u.UpdatedAt.After(since) },
		"status=2": func(u olsim.User) bool { return u.Status == 2 },
		fmt.Sprintf("group_id=%d&status=1", group.ID):             func(u olsim.User) bool { return u.GroupID == group.ID && u.Status == 1 },
		fmt.Sprintf("user_ids=%d,%d,1", users[3].ID, users[4].ID): func(u olsim.User) bool { return u.ID == users[3].ID || u.ID == users[4].ID },
	}
	check := func(step string) {
		t.Helper()
		for q, pred := range queries {
			want := h.where(pred)
			require.Equal(t, want, h.listAll("/api/2/users?"+q, tok), "%s: %s", step, q)
			slices.Reverse(want)
			require.Equal(t, want, h.listAll("/api/2/users?sort=-id&"+q, tok), "%s: %s descending", step, q)
		}
		members := h.listAll(fmt.Sprintf("/api/2/roles/%d/users?include_unassigned=false", role.ID), tok)
		require.Equal(t, h.where(func(u olsim.User) bool { return slices.Contains(u.RoleIDs, role.ID) }), members, step+": role members")
	}
	check("generated")

	h.clock.Set(since.Add(time.Hour))
	put := func(id int64, body string) {
		t.Helper()
		r := h.call("PUT", fmt.Sprintf("/api/2/users/%d", id), tok, body)
		require.Equal(t, 200, r.StatusCode, "%s", r.body)
	}
	put(users[0].ID, fmt.Sprintf(`{"group_id":%d}`, group.ID))
	put(users[1].ID, `{"status":2}`)
	check("moved into group, suspended")

	require.Equal(t, 200, h.call("POST", fmt.Sprintf("/api/2/roles/%d/users", role.ID), tok, fmt.Sprintf("[%d,%d]", users[2].ID, users[0].ID)).StatusCode)
	require.Equal(t, 204, h.call("DELETE", fmt.Sprintf("/api/2/roles/%d/users", role.ID), tok, fmt.Sprintf("[%d]", role.UserIDs[0])).StatusCode)
	check("role members changed")

	// A clock moved back: updated_at no longer grows with each change.
	h.clock.Set(since.Add(-time.Hour))
	put(users[5].ID, `{"title":"Back in time"}`)
	put(users[0].ID, `{"group_id":null}`)
	check("clock moved back")

	h.clock.Set(since.Add(2 * time.Hour))
	require.Equal(t, 204, h.call("DELETE", fmt.Sprintf("/api/2/users/%d", users[1].ID), tok, "").StatusCode)
	require.Equal(t, 204, h.call("DELETE", fmt.Sprintf("/api/2/users/%d", users[3].ID), tok, "").StatusCode)
	created := h.call("POST", "/api/2/users", tok, fmt.Sprintf(`{"email":"new@acme.com","group_id":%d}`, group.ID))
	require.Equal(t, 201, created.StatusCode, "%s", created.body)
	_, err := h.sim.UpdateUser(users[6].ID, olsim.Fields{"group_id": group.ID})
	require.NoError(t, err)
	check("deleted, created, changed through the Go API")
}
