package onelogin

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Groups are v1 only: GET /api/1/groups pages by after_cursor in the body.

func groupList() listCall {
	return listCall{path: "/api/1/groups", endpoint: "/api/1/groups", limit: MaxV1Page}
}

// GroupPages iterates groups page by page from cursor ("" for the start).
func (c *Client) GroupPages(ctx context.Context, cursor string) iter.Seq2[Page[Group], error] {
	return pagesV1[Group](ctx, c, groupList(), cursor)
}

// Groups iterates every group.
func (c *Client) Groups(ctx context.Context) iter.Seq2[Group, error] {
	return items(c.GroupPages(ctx, ""))
}

// GetGroup reads one group (GET /api/1/groups/:id).
func (c *Client) GetGroup(ctx context.Context, id int64) (Group, error) {
	var env struct {
		Data []Group `json:"data"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: joinPath("api", "1", "groups", pathID(id)),
		endpoint: "/api/1/groups/:id"}, &env); err != nil {
		return Group{}, err
	}
	if len(env.Data) == 0 {
		return Group{}, &Error{Code: CodeNotFound, Status: http.StatusOK, Op: "GET /api/1/groups/:id", Message: "group not in response"}
	}
	return env.Data[0], nil
}

// RoleQuery filters GET /api/2/roles.
type RoleQuery struct {
	Name string
	// Fields asks for the member arrays: "users", "admins", "apps".
	Fields []string
	Limit  int
}

func (q RoleQuery) list() listCall {
	v := url.Values{}
	if q.Name != "" {
		v.Set("name", q.Name)
	}
	if len(q.Fields) > 0 {
		v.Set("fields", strings.Join(q.Fields, ","))
	}
	return listCall{path: "/api/2/roles", endpoint: "/api/2/roles", params: v, limit: pageSize(q.Limit, MaxRolesPage)}
}

// RolePages iterates roles page by page from cursor.
func (c *Client) RolePages(ctx context.Context, q RoleQuery, cursor string) iter.Seq2[Page[Role], error] {
	return pagesV2[Role](ctx, c, q.list(), cursor)
}

// Roles iterates every role matching q.
func (c *Client) Roles(ctx context.Context, q RoleQuery) iter.Seq2[Role, error] {
	return items(c.RolePages(ctx, q, ""))
}

// GetRole reads one role (GET /api/2/roles/:id).
func (c *Client) GetRole(ctx context.Context, id int64) (Role, error) {
	var r Role
	_, err := c.do(ctx, request{method: http.MethodGet, path: joinPath("api", "2", "roles", pathID(id)), endpoint: "/api/2/roles/:id"}, &r)
	return r, err
}

func roleUsersPath(roleID int64) string {
	return joinPath("api", "2", "roles", pathID(roleID), "users")
}

const roleUsersEndpoint = "/api/2/roles/:id/users"

// RoleUsers iterates the users assigned to a role.
func (c *Client) RoleUsers(ctx context.Context, roleID int64) iter.Seq2[RoleUser, error] {
	l := listCall{path: roleUsersPath(roleID), endpoint: roleUsersEndpoint, limit: MaxRoleUsersPage}
	return items(pagesV2[RoleUser](ctx, c, l, ""))
}

// AddRoleUsers assigns users to a role. The body is a raw JSON array, as
// OneLogin requires.
func (c *Client) AddRoleUsers(ctx context.Context, roleID int64, userIDs []int64) error {
	return c.roleUsersWrite(ctx, http.MethodPost, roleID, userIDs)
}

// RemoveRoleUsers removes users from a role.
func (c *Client) RemoveRoleUsers(ctx context.Context, roleID int64, userIDs []int64) error {
	return c.roleUsersWrite(ctx, http.MethodDelete, roleID, userIDs)
}

func (c *Client) roleUsersWrite(ctx context.Context, method string, roleID int64, userIDs []int64) error {
	if len(userIDs) == 0 {
		return invalidInput("user_ids", "no users given")
	}
	body, err := jsonBody(userIDs)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, request{method: method, path: roleUsersPath(roleID), endpoint: roleUsersEndpoint, body: body}, nil)
	return err
}

// AppQuery filters GET /api/2/apps.
type AppQuery struct {
	Name        string
	ConnectorID int64
	Limit       int
}

func (q AppQuery) list() listCall {
	v := url.Values{}
	if q.Name != "" {
		v.Set("name", q.Name)
	}
	if q.ConnectorID != 0 {
		v.Set("connector_id", strconv.FormatInt(q.ConnectorID, 10))
	}
	return listCall{path: "/api/2/apps", endpoint: "/api/2/apps", params: v, limit: pageSize(q.Limit, MaxAppsPage)}
}

// AppPages iterates apps page by page from cursor. It needs Read All.
func (c *Client) AppPages(ctx context.Context, q AppQuery, cursor string) iter.Seq2[Page[App], error] {
	return pagesV2[App](ctx, c, q.list(), cursor)
}

// Apps iterates every app matching q.
func (c *Client) Apps(ctx context.Context, q AppQuery) iter.Seq2[App, error] {
	return items(c.AppPages(ctx, q, ""))
}
