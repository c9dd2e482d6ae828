package onelogin

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// UserQuery filters GET /api/2/users. Zero fields are not sent.
type UserQuery struct {
	UpdatedSince time.Time
	UpdatedUntil time.Time
	CreatedSince time.Time
	Email        string
	Username     string
	Firstname    string
	Lastname     string
	ExternalID   string
	UserIDs      []int64
	GroupID      int64
	// CustomAttributes filters on custom_attributes.<shortname>.
	CustomAttributes map[string]string
	// Fields limits the attributes returned; id always comes back.
	Fields []string
	// Sort is like "id", "+id" or "-updated_at". Full reads use "id" so a
	// page number keeps meaning the same slice of users.
	Sort string
	// Limit is the page size, capped at MaxUsersPage.
	Limit int
}

// timeParam is OneLogin's ISO-8601 with milliseconds, in UTC.
func timeParam(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (q UserQuery) values() url.Values {
	v := url.Values{}
	setTime := func(k string, t time.Time) {
		if !t.IsZero() {
			v.Set(k, timeParam(t))
		}
	}
	setStr := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	setTime("updated_since", q.UpdatedSince)
	setTime("updated_until", q.UpdatedUntil)
	setTime("created_since", q.CreatedSince)
	setStr("email", q.Email)
	setStr("username", q.Username)
	setStr("firstname", q.Firstname)
	setStr("lastname", q.Lastname)
	setStr("external_id", q.ExternalID)
	setStr("sort", q.Sort)
	if len(q.UserIDs) > 0 {
		v.Set("user_ids", joinIDs(q.UserIDs))
	}
	if q.GroupID != 0 {
		v.Set("group_id", pathID(q.GroupID))
	}
	if len(q.Fields) > 0 {
		v.Set("fields", strings.Join(q.Fields, ","))
	}
	keys := make([]string, 0, len(q.CustomAttributes))
	for k := range q.CustomAttributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v.Set("custom_attributes."+k, q.CustomAttributes[k])
	}
	return v
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func (q UserQuery) list() listCall {
	return listCall{path: "/api/2/users", endpoint: "/api/2/users", params: q.values(), limit: pageSize(q.Limit, MaxUsersPage)}
}

// UserPages iterates users page by page, starting at cursor ("" for the
// first page). Each page's NextCursor resumes the read after it.
func (c *Client) UserPages(ctx context.Context, q UserQuery, cursor string) iter.Seq2[Page[User], error] {
	return pagesV2[User](ctx, c, q.list(), cursor)
}

// Users iterates every user matching q.
func (c *Client) Users(ctx context.Context, q UserQuery) iter.Seq2[User, error] {
	return items(c.UserPages(ctx, q, ""))
}

// UsersPage fetches page n (1-based) of q by number. OneLogin's cursor is
// itself an encoded page number, so pages can be read in parallel once the
// first page has announced TotalPages.
func (c *Client) UsersPage(ctx context.Context, q UserQuery, n int) (Page[User], error) {
	return pageV2[User](ctx, c, q.list(), n)
}

// GetUser reads one user (GET /api/2/users/:id); a missing user is not_found.
func (c *Client) GetUser(ctx context.Context, id int64) (User, error) {
	var u User
	_, err := c.do(ctx, request{method: http.MethodGet, path: joinPath("api", "2", "users", pathID(id)), endpoint: "/api/2/users/:id"}, &u)
	return u, err
}

// UserUpdate is a partial update for PUT /api/2/users/:id: nil fields are
// left alone.
type UserUpdate struct {
	Status     *UserStatus
	State      *UserState
	GroupID    *int64
	ClearGroup bool
	Firstname  *string
	Lastname   *string
	Email      *string
	Username   *string
	Title      *string
	Department *string
	Company    *string
	Phone      *string
	Comment    *string
	// ManagerUserID sets the manager; 0 is sent as is.
	ManagerUserID    *int64
	CustomAttributes map[string]string
	// Password sets the password with OneLogin's policy check (v2 default).
	Password *string
}

// String never shows the password.
func (u UserUpdate) String() string {
	b, _ := json.Marshal(u.fields(true))
	return "onelogin.UserUpdate" + string(b)
}

// GoString keeps %#v from printing the password.
func (u UserUpdate) GoString() string { return u.String() }

// MarshalJSON is the request body. Clearing the group sends null, which
// OneLogin is believed to accept (reference §6.8, unconfirmed).
func (u UserUpdate) MarshalJSON() ([]byte, error) { return json.Marshal(u.fields(false)) }

func (u UserUpdate) fields(redact bool) map[string]any {
	m := map[string]any{}
	put := func(k string, v *string) {
		if v != nil {
			m[k] = *v
		}
	}
	if u.Status != nil {
		m["status"] = int(*u.Status)
	}
	if u.State != nil {
		m["state"] = int(*u.State)
	}
	if u.GroupID != nil {
		m["group_id"] = *u.GroupID
	}
	if u.ClearGroup {
		m["group_id"] = nil
	}
	put("firstname", u.Firstname)
	put("lastname", u.Lastname)
	put("email", u.Email)
	put("username", u.Username)
	put("title", u.Title)
	put("department", u.Department)
	put("company", u.Company)
	put("phone", u.Phone)
	put("comment", u.Comment)
	if u.ManagerUserID != nil {
		m["manager_user_id"] = *u.ManagerUserID
	}
	if len(u.CustomAttributes) > 0 {
		m["custom_attributes"] = u.CustomAttributes
	}
	if u.Password != nil {
		pw := *u.Password
		if redact {
			pw = "[REDACTED]"
		}
		m["password"], m["password_confirmation"] = pw, pw
	}
	return m
}

// UpdateUser applies a partial update and returns the user as OneLogin now
// has it. Policy failures on a password come back as invalid_input with
// OneLogin's message.
func (c *Client) UpdateUser(ctx context.Context, id int64, u UserUpdate) (User, error) {
	body, err := jsonBody(u)
	if err != nil {
		return User{}, err
	}
	var out User
	// A password change is not repeated: if the first one went through, a
	// password history would refuse the second.
	_, err = c.do(ctx, request{method: http.MethodPut, path: joinPath("api", "2", "users", pathID(id)),
		endpoint: "/api/2/users/:id", body: body, once: u.Password != nil}, &out)
	return out, err
}

// v1Write sends a v1 write whose success body is only a status envelope.
func (c *Client) v1Write(ctx context.Context, method, path, endpoint string, payload any) error {
	return c.v1Send(ctx, request{method: method, path: path, endpoint: endpoint}, payload)
}

func (c *Client) v1Send(ctx context.Context, req request, payload any) error {
	if payload != nil {
		b, err := jsonBody(payload)
		if err != nil {
			return err
		}
		req.body = b
	}
	_, err := c.do(ctx, req, nil)
	return err
}

// SetUserState sets approval/licensing state (PUT /api/1/users/:id/set_state).
func (c *Client) SetUserState(ctx context.Context, id int64, state UserState) error {
	return c.v1Write(ctx, http.MethodPut, joinPath("api", "1", "users", pathID(id), "set_state"),
		"/api/1/users/:id/set_state", map[string]int{"state": int(state)})
}

// SetPasswordClearText sets a password (PUT /api/1/users/set_password_clear_text/:id).
// validatePolicy asks OneLogin to apply the password policy, which this
// endpoint skips by default.
func (c *Client) SetPasswordClearText(ctx context.Context, id int64, password string, validatePolicy bool) error {
	// Sent once, like every password change (see UpdateUser).
	return c.v1Send(ctx, request{method: http.MethodPut, path: joinPath("api", "1", "users", "set_password_clear_text", pathID(id)),
		endpoint: "/api/1/users/set_password_clear_text/:id", once: true}, map[string]any{
		"password": password, "password_confirmation": password, "validate_policy": validatePolicy,
	})
}

// LogoutUser ends all of a user's sessions (PUT /api/1/users/:id/logout).
func (c *Client) LogoutUser(ctx context.Context, id int64) error {
	return c.v1Write(ctx, http.MethodPut, joinPath("api", "1", "users", pathID(id), "logout"), "/api/1/users/:id/logout", nil)
}

// LockUser locks a user for minutes (0: the policy's lock period).
func (c *Client) LockUser(ctx context.Context, id int64, minutes int) error {
	return c.v1Write(ctx, http.MethodPut, joinPath("api", "1", "users", pathID(id), "lock_user"),
		"/api/1/users/:id/lock_user", map[string]int{"locked_until": minutes})
}

// AddUserRoles assigns roles through the user (PUT /api/1/users/:id/add_roles).
func (c *Client) AddUserRoles(ctx context.Context, id int64, roleIDs []int64) error {
	return c.v1Write(ctx, http.MethodPut, joinPath("api", "1", "users", pathID(id), "add_roles"),
		"/api/1/users/:id/add_roles", map[string][]int64{"role_id_array": roleIDs})
}

// RemoveUserRoles removes roles through the user (PUT /api/1/users/:id/remove_roles).
func (c *Client) RemoveUserRoles(ctx context.Context, id int64, roleIDs []int64) error {
	return c.v1Write(ctx, http.MethodPut, joinPath("api", "1", "users", pathID(id), "remove_roles"),
		"/api/1/users/:id/remove_roles", map[string][]int64{"role_id_array": roleIDs})
}

// UsersByID returns those of ids (at most MaxUsersPage) that OneLogin has,
// in one call with the user_ids filter: an id missing from a complete
// answer is a user OneLogin does not have. An answer holding a user that was
// not asked for shows the filter was not applied; the ids are then asked
// for one GET at a time, since a missing user must never be inferred from
// an unfiltered list.
func (c *Client) UsersByID(ctx context.Context, ids []int64) ([]User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > MaxUsersPage {
		return nil, invalidInput("user_ids", fmt.Sprintf("at most %d ids per call", MaxUsersPage))
	}
	asked := make(map[int64]bool, len(ids))
	for _, id := range ids {
		asked[id] = true
	}
	q := UserQuery{UserIDs: ids, Sort: "id", Limit: MaxUsersPage}
	var found []User
	for n := 1; ; n++ {
		p, err := c.UsersPage(ctx, q, n)
		if err != nil {
			return nil, err
		}
		for _, u := range p.Items {
			if !asked[u.ID] {
				return c.usersOneByOne(ctx, ids)
			}
		}
		found = append(found, p.Items...)
		if n >= p.TotalPages || len(p.Items) == 0 {
			return found, nil
		}
	}
}

func (c *Client) usersOneByOne(ctx context.Context, ids []int64) ([]User, error) {
	var found []User
	for _, id := range ids {
		u, err := c.GetUser(ctx, id)
		switch CodeOf(err) {
		case "":
			found = append(found, u)
		case CodeNotFound:
		default:
			return nil, err
		}
	}
	return found, nil
}
