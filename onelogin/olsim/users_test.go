package olsim_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

func TestUserListFilters(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 120})
	tok := h.token(readerID)
	all := h.sim.Users()
	u := all[7]
	role := h.sim.Roles()[0]

	// Expected ids by predicate over the snapshot.
	where := func(pred func(olsim.User) bool) []int64 {
		var out []int64
		for _, x := range all {
			if pred(x) {
				out = append(out, x.ID)
			}
		}
		return out
	}
	cut := all[60].UpdatedAt
	domainSuffix := u.Email[strings.Index(u.Email, "@"):]
	tests := []struct {
		query string
		want  []int64
	}{
		{"email=" + url.QueryEscape(strings.ToUpper(u.Email)), []int64{u.ID}},
		{"username=" + u.Username, []int64{u.ID}},
		{"email=" + url.QueryEscape("*"+domainSuffix), where(func(x olsim.User) bool { return strings.HasSuffix(strings.ToLower(x.Email), domainSuffix) })},
		{"firstname=" + u.Firstname[:3] + "*", where(func(x olsim.User) bool { return strings.HasPrefix(x.Firstname, u.Firstname[:3]) })},
		{fmt.Sprintf("user_ids=%d,%d", all[1].ID, all[2].ID), []int64{all[1].ID, all[2].ID}},
		{fmt.Sprintf("group_id=%d", u.GroupID), where(func(x olsim.User) bool { return x.GroupID == u.GroupID })},
		{"status=2", where(func(x olsim.User) bool { return x.Status == 2 })},
		{fmt.Sprintf("role_ids=%d", role.ID), role.UserIDs},
		{"updated_since=" + cut.Format(time.RFC3339Nano), where(func(x olsim.User) bool { return x.UpdatedAt.After(cut) })},
		{"updated_until=" + cut.Format(time.RFC3339Nano), where(func(x olsim.User) bool { return !x.UpdatedAt.After(cut) })},
		{"created_since=2023-01-01", where(func(x olsim.User) bool { return x.CreatedAt.After(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)) })},
		{"last_login_since=2024-01-01T00:00:00Z", where(func(x olsim.User) bool {
			return x.LastLogin != nil && x.LastLogin.After(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
		})},
		{"custom_attributes.location=London", where(func(x olsim.User) bool {
			return x.CustomAttributes["location"] != nil && *x.CustomAttributes["location"] == "London"
		})},
		{"directory_id=123456&status=1", where(func(x olsim.User) bool { return x.DirectoryID == 123456 && x.Status == 1 })},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			require.NotEmpty(t, tt.want, "the generated org should exercise this filter")
			var got []int64
			for page := 1; ; page++ {
				r := h.get(fmt.Sprintf("/api/2/users?limit=50&page=%d&%s", page, tt.query), tok)
				require.Equal(t, 200, r.StatusCode, "%s", r.body)
				got = append(got, ids(t, r)...)
				if r.Header.Get("After-Cursor") == "" {
					break
				}
			}
			slices.Sort(tt.want)
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("bad time", func(t *testing.T) {
		requireV2Err(t, h.get("/api/2/users?updated_since=yesterday", tok), 400, "BadRequestError", `invalid value in "updated_since"`)
	})
}

func TestUpdatedSinceBoundary(t *testing.T) {
	for _, inclusive := range []bool{false, true} {
		h := newHarness(t, olsim.Options{Users: 10, SinceInclusive: inclusive})
		u := h.sim.Users()[3]
		r := h.get(fmt.Sprintf("/api/2/users?updated_since=%s&user_ids=%d", u.UpdatedAt.Format(time.RFC3339Nano), u.ID), h.token(readerID))
		require.Equal(t, inclusive, len(ids(t, r)) == 1, "inclusive=%v", inclusive)
	}
}

func TestUserFieldsAndSort(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 20})
	tok := h.token(readerID)
	var items []map[string]any
	h.get("/api/2/users?fields=email,firstname&sort=-id", tok).json(t, &items)
	require.Len(t, items, 20)
	require.ElementsMatch(t, []string{"id", "email", "firstname"}, keys(items[0]), "id is always kept")
	require.Greater(t, items[0]["id"], items[1]["id"])

	items = nil
	h.get("/api/2/users?sort=%2Bemail", tok).json(t, &items)
	require.True(t, slices.IsSortedFunc(items, func(a, b map[string]any) int {
		return strings.Compare(strings.ToLower(a["email"].(string)), strings.ToLower(b["email"].(string)))
	}))
	r := h.get("/api/2/users?sort=shoe_size", tok)
	require.Equal(t, 400, r.StatusCode)
}

func TestUserShape(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 30})
	tok := h.token(readerID)
	u := h.sim.Users()[0]
	v2 := h.get(fmt.Sprintf("/api/2/users/%d", u.ID), tok).obj(t)
	require.Equal(t, float64(u.ID), v2["id"])
	require.Contains(t, v2, "role_ids")
	require.NotContains(t, v2, "role_id")
	require.Len(t, v2["custom_attributes"], len(h.sim.CustomAttributes()), "every shortname present")
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, v2["created_at"])

	r := h.get(fmt.Sprintf("/api/1/users/%d", u.ID), tok)
	requireV1(t, r, 200, "Success")
	var env struct {
		Data []map[string]any `json:"data"`
	}
	r.json(t, &env)
	require.Len(t, env.Data, 1, "single objects come as a one-element array")
	for _, k := range []string{"role_id", "openid_name", "locale_code"} {
		require.Contains(t, env.Data[0], k)
	}
	require.NotContains(t, env.Data[0], "role_ids")

	requireV2Err(t, h.get("/api/2/users/1", tok), 404, "NotFoundError", "The resource with the given id could not be found")
	requireV1(t, h.get("/api/1/users/1", tok), 404, "User for id 1 was not found")
	requireV1(t, h.get("/api/1/users/abc", tok), 400, map[string]any{"attribute": "id", "description": "ID is incorrect"})
}

func TestCreateUser(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 10, Subdomain: "globex"})
	tok := h.token(adminID)
	existing := h.sim.Users()[0]

	r := h.call("POST", "/api/2/users", tok, `{"email":"new.person@globex.com","username":"new.person","firstname":"New","custom_attributes":{"location":"Oslo"}}`)
	require.Equal(t, 201, r.StatusCode, "%s", r.body)
	m := r.obj(t)
	require.Equal(t, float64(7), m["status"], "no password: Password pending")
	require.Equal(t, "2024-05-01T12:00:00.000Z", m["created_at"])
	require.Nil(t, m["activated_at"])
	require.Equal(t, "Oslo", m["custom_attributes"].(map[string]any)["location"])
	require.Empty(t, h.sim.SentInvites(), "create sends no invite")

	withPw := h.call("POST", "/api/2/users", tok, `{"email":"pw@globex.com","password":"Str0ngPass","password_confirmation":"Str0ngPass"}`)
	require.Equal(t, 201, withPw.StatusCode, "%s", withPw.body)
	m = withPw.obj(t)
	require.Equal(t, float64(1), m["status"])
	require.Equal(t, "2024-05-01T12:00:00.000Z", m["activated_at"])

	tests := []struct {
		name, body, message string
		status              int
	}{
		{"duplicate email and username", fmt.Sprintf(`{"email":%q,"username":%q}`, strings.ToUpper(existing.Email), existing.Username),
			"Validation failed: Email must be unique within globex, Username must be unique within globex", 422},
		{"duplicate username", fmt.Sprintf(`{"email":"other@globex.com","username":%q}`, existing.Username),
			"Validation failed: Username must be unique within globex", 422},
		{"no identity", `{"firstname":"Nobody"}`, "Validation failed: Username or email must be present", 422},
		{"policy", `{"email":"p@globex.com","password":"short","password_confirmation":"short"}`,
			"Validation failed: Password is too short (minimum is 8 characters), Password must contain an uppercase letter, Password must contain a number", 422},
		{"confirmation", `{"email":"p@globex.com","password":"Str0ngPass","password_confirmation":"Str0ngPasz"}`,
			"Validation failed: Password confirmation doesn't match Password", 422},
		{"unknown attribute", `{"email":"p@globex.com","user_id":1}`, "unknown attribute: user_id", 400},
		{"bad status", `{"email":"p@globex.com","status":6}`, "Validation failed: Status is not included in the list", 422},
		{"unknown group", `{"email":"p@globex.com","group_id":42}`, "Validation failed: Group 42 does not exist", 422},
		{"bad json", `{"email":`, "Input JSON is not valid", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.call("POST", "/api/2/users", tok, tt.body)
			name := map[int]string{400: "BadRequestError", 422: "UnprocessableEntityError"}[tt.status]
			requireV2Err(t, r, tt.status, name, tt.message)
		})
	}
	t.Run("validate_policy=false skips the policy", func(t *testing.T) {
		r := h.call("POST", "/api/2/users?validate_policy=false", tok, `{"email":"weak@globex.com","password":"weak","password_confirmation":"weak"}`)
		require.Equal(t, 201, r.StatusCode, "%s", r.body)
	})
	t.Run("require username and email", func(t *testing.T) {
		h := newHarness(t, olsim.Options{Users: 5, RequireUsernameAndEmail: true})
		requireV2Err(t, h.call("POST", "/api/2/users", h.token(adminID), `{"email":"a@b.com"}`), 422, "UnprocessableEntityError", "Validation failed: Username can't be blank")
	})
}

func TestUpdateUser(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 20})
	tok := h.token(adminID)
	var u olsim.User
	for _, x := range h.sim.Users() {
		if x.GroupID != 0 && x.State == 1 {
			u = x
			break
		}
	}
	path := fmt.Sprintf("/api/2/users/%d", u.ID)

	h.clock.Advance(time.Minute)
	r := h.call("PUT", path, tok, `{"title":"Chief Tester","manager_user_id":null}`)
	require.Equal(t, 200, r.StatusCode, "%s", r.body)
	m := r.obj(t)
	require.Equal(t, "Chief Tester", m["title"])
	require.Equal(t, u.Email, m["email"], "partial update keeps the rest")
	require.Equal(t, "2024-05-01T12:01:00.000Z", m["updated_at"])

	h.clock.Advance(time.Minute)
	r = h.call("PUT", path, tok, `{"title":"Chief Tester"}`)
	require.Equal(t, "2024-05-01T12:01:00.000Z", r.obj(t)["updated_at"], "no change, no bump")

	for _, clear := range []string{`null`, `0`} {
		h.sim.SetUserGroup(u.ID, h.sim.Groups()[0].ID)
		r = h.call("PUT", path, tok, `{"group_id":`+clear+`}`)
		require.Nil(t, r.obj(t)["group_id"], "group_id %s clears the group", clear)
	}

	t.Run("status and activated_at", func(t *testing.T) {
		nu, err := h.sim.CreateUser(olsim.Fields{"email": "pending@acme.com"})
		require.NoError(t, err)
		require.Equal(t, 7, nu.Status)
		p := fmt.Sprintf("/api/2/users/%d", nu.ID)
		h.clock.Advance(time.Hour)
		m := h.call("PUT", p, tok, `{"password":"N3wPassword","password_confirmation":"N3wPassword"}`).obj(t)
		require.Equal(t, float64(1), m["status"], "setting a password activates a pending user")
		require.Equal(t, m["updated_at"], m["activated_at"])
		require.True(t, h.sim.CheckPassword(nu.ID, "N3wPassword"))
		m = h.call("PUT", p, tok, `{"status":2}`).obj(t)
		require.Equal(t, float64(2), m["status"])
		requireV2Err(t, h.call("PUT", p, tok, `{"password":"weak","password_confirmation":"weak"}`), 422, "UnprocessableEntityError",
			"Validation failed: Password is too short (minimum is 8 characters), Password must contain an uppercase letter, Password must contain a number")
		requireV2Err(t, h.call("PUT", p, tok, `{"password":"N3wPassword2","password_confirmation":"nope"}`), 422, "UnprocessableEntityError",
			"Validation failed: Password confirmation doesn't match Password")
	})
	t.Run("activation without password", func(t *testing.T) {
		for policy, want := range map[olsim.ActivationPolicy]int{olsim.ActivateAllow: 200, olsim.ActivateReject: 422, olsim.ActivateIgnore: 200} {
			h := newHarness(t, olsim.Options{Users: 2, ActivateWithoutPassword: policy})
			nu, _ := h.sim.CreateUser(olsim.Fields{"email": "pending@acme.com"})
			r := h.call("PUT", fmt.Sprintf("/api/2/users/%d", nu.ID), h.token(adminID), `{"status":1}`)
			require.Equal(t, want, r.StatusCode, "policy %d", policy)
			got, _ := h.sim.User(nu.ID)
			require.Equal(t, map[olsim.ActivationPolicy]int{olsim.ActivateAllow: 1, olsim.ActivateReject: 7, olsim.ActivateIgnore: 7}[policy], got.Status)
		}
	})
	t.Run("unlicensed state only leaves through set_state", func(t *testing.T) {
		_, err := h.sim.UpdateUser(u.ID, olsim.Fields{"state": 3})
		require.NoError(t, err)
		r := h.call("PUT", path, tok, `{"state":1}`)
		require.Equal(t, 422, r.StatusCode)
		requireV1(t, h.call("PUT", fmt.Sprintf("/api/1/users/%d/set_state", u.ID), tok, `{"state":1}`), 200, "Success")
	})
	t.Run("errors", func(t *testing.T) {
		requireV2Err(t, h.call("PUT", "/api/2/users/1", tok, `{}`), 404, "NotFoundError", "The resource with the given id could not be found")
		dup := h.sim.Users()[1]
		if dup.ID == u.ID {
			dup = h.sim.Users()[2]
		}
		requireV2Err(t, h.call("PUT", path, tok, fmt.Sprintf(`{"email":%q}`, dup.Email)), 422, "UnprocessableEntityError", "Validation failed: Email must be unique within acme")
	})
}

func TestDeleteAndUnlockUser(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 20})
	tok := h.token(adminID)
	victim := h.sim.Users()[0]
	r := h.call("DELETE", fmt.Sprintf("/api/2/users/%d", victim.ID), tok, "")
	require.Equal(t, 204, r.StatusCode)
	require.Empty(t, r.body)
	requireV2Err(t, h.call("DELETE", fmt.Sprintf("/api/2/users/%d", victim.ID), tok, ""), 404, "NotFoundError", "The resource with the given id could not be found")
	for _, role := range h.sim.Roles() {
		require.NotContains(t, role.UserIDs, victim.ID)
	}
	requireV1(t, h.call("DELETE", fmt.Sprintf("/api/1/users/%d", h.sim.Users()[0].ID), tok, ""), 200, "Success")

	u := h.sim.Users()[0]
	requireV1(t, h.call("PUT", fmt.Sprintf("/api/1/users/%d/lock_user", u.ID), tok, `{"locked_until":15}`), 200, "Success")
	locked, _ := h.sim.User(u.ID)
	require.Equal(t, 3, locked.Status)
	require.Equal(t, epoch.Add(15*time.Minute), *locked.LockedUntil)
	requireV1(t, h.call("PUT", fmt.Sprintf("/api/1/users/%d/lock_user", u.ID), tok, `{"locked_until":"soon"}`), 400, "locked_until should be -> integer")

	unlock := fmt.Sprintf("/api/2/users/%d/unlock", u.ID)
	requireV2Err(t, h.call("POST", unlock, tok, `{"user_id":1}`), 400, "BadRequestError", "unknown attribute: user_id")
	r = h.call("POST", unlock, tok, "")
	require.Equal(t, 200, r.StatusCode)
	require.JSONEq(t, `{"messsage":"User unlocked"}`, string(r.body), "the documented typo")
	r = h.call("POST", unlock, tok, "")
	require.Equal(t, 422, r.StatusCode)
	require.JSONEq(t, `{"message":"User cannot be unlocked"}`, string(r.body))
}

func TestSetStateErrors(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 10})
	tok := h.token(adminID)
	var u olsim.User
	for _, x := range h.sim.Users() {
		if x.State == 1 {
			u = x
			break
		}
	}
	path := fmt.Sprintf("/api/1/users/%d/set_state", u.ID)
	tests := []struct {
		body    string
		status  int
		message any
	}{
		{`{"state":1}`, 400, "user is already in this state"},
		{`{"state":9}`, 400, "state is invalid"},
		{`{"state":0}`, 400, "state is invalid"},
		{`{"state":"2"}`, 400, map[string]any{"attribute": "state", "description": "state has incorrect data type. It should be -> integer"}},
		{`{"state":2}`, 200, "Success"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			requireV1(t, h.call("PUT", path, tok, tt.body), tt.status, tt.message)
		})
	}
}

func TestSetPasswordClearTextAndLogout(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 10})
	tok := h.token(adminID)
	u := h.sim.Users()[0]
	path := fmt.Sprintf("/api/1/users/set_password_clear_text/%d", u.ID)
	requireV1(t, h.call("PUT", path, tok, `{"password":"weak","password_confirmation":"weak"}`), 200, "Success")
	require.True(t, h.sim.CheckPassword(u.ID, "weak"), "validate_policy defaults to false")
	requireV1(t, h.call("PUT", path, tok, `{"password":"weak","password_confirmation":"weak","validate_policy":true}`), 400,
		"Password is too short (minimum is 8 characters), Password must contain an uppercase letter, Password must contain a number")
	requireV1(t, h.call("PUT", path, tok, `{"password":"Abcdefg1","password_confirmation":"Abcdefg2"}`), 400, "Password confirmation doesn't match Password")

	requireV1(t, h.call("PUT", fmt.Sprintf("/api/1/users/%d/logout", u.ID), tok, ""), 200, "Success")
	require.Equal(t, []olsim.Logout{{UserID: u.ID, At: epoch}}, h.sim.LoggedOut())
}

func TestAddRemoveRolesV1(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 10, Roles: 3})
	tok := h.token(adminID)
	roles := h.sim.Roles()
	u := h.sim.Users()[0]
	require.NoError(t, h.sim.RemoveUserRoles(u.ID, roles[0].ID, roles[1].ID, roles[2].ID))
	add := fmt.Sprintf("/api/1/users/%d/add_roles", u.ID)
	remove := fmt.Sprintf("/api/1/users/%d/remove_roles", u.ID)
	body := func(ids ...int64) string { return fmt.Sprintf(`{"role_id_array":%s}`, jsonInts(ids)) }
	tests := []struct {
		path, body string
		status     int
		message    any
	}{
		{add, `{}`, 400, "input parameters is empty"},
		{add, body(), 400, "role_id_array is empty"},
		{add, body(42), 400, fmt.Sprintf("role_id_array should be a subset of -> [%d, %d, %d]", roles[0].ID, roles[1].ID, roles[2].ID)},
		{add, body(roles[0].ID), 200, "Success"},
		{add, body(roles[0].ID, roles[1].ID), 400, "input role_id_array is already included as user roles"},
		{remove, body(roles[1].ID), 400, "input role_id_array is not included as user roles"},
		{remove, body(roles[0].ID), 200, "Success"},
	}
	for _, tt := range tests {
		requireV1(t, h.call("PUT", tt.path, tok, tt.body), tt.status, tt.message)
	}
	got, _ := h.sim.User(u.ID)
	require.Empty(t, got.RoleIDs)
}

func jsonInts(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
