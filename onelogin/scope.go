package onelogin

import (
	"context"
	"net/http"
	"net/url"
)

// Scope is the level of an API credential as far as reads can tell.
type Scope string

// The levels, weakest first (OneLogin's Authentication Only, Read Users,
// Manage Users, Read All, Manage All).
const (
	ScopeAuthOnly    Scope = "auth_only"
	ScopeReadUsers   Scope = "read_users"
	ScopeManageUsers Scope = "manage_users"
	ScopeReadAll     Scope = "read_all"
	ScopeManageAll   Scope = "manage_all"
)

// CanSync reports whether the scope reads everything a sync needs (apps need
// Read All).
func (s Scope) CanSync() bool { return s == ScopeReadAll || s == ScopeManageAll }

// CanAct reports whether the scope allows every action (passwords and role
// assignment need Manage All).
func (s Scope) CanAct() bool { return s == ScopeManageAll }

// ScopeReport is the result of ProbeScope.
type ScopeReport struct {
	Scope     Scope
	AccountID int64
}

// ProbeScope learns the credential's scope. OneLogin's token carries no
// scope and there is no introspection endpoint, so it probes, cheapest
// first (reference §3):
//
//  1. the token itself: invalid credentials, wrong subdomain and a deleted
//     owner fail here with their own codes;
//  2. GET /api/2/users?limit=1 fails only for Authentication Only;
//  3. GET /api/2/apps?limit=1 succeeds only for Read All and Manage All;
//  4. for the *All levels, GET /api/2/connectors?limit=1 is documented as
//     Manage All only;
//  5. for the *Users levels, PUT /api/2/users/0 with an empty body answers
//     404 when writes are allowed and a permission error when not.
//
// What it cannot tell: step 4 rests on a doc page that contradicts "Read All
// = every GET", so a Read All credential could be reported as Manage All if
// OneLogin lets it list connectors; the first action would then fail with
// insufficient_scope, which actions handle anyway. Step 5 assumes OneLogin
// checks the scope before looking the user up.
func (c *Client) ProbeScope(ctx context.Context) (ScopeReport, error) {
	info, err := c.Authenticate(ctx)
	if err != nil {
		return ScopeReport{}, err
	}
	report := ScopeReport{Scope: ScopeAuthOnly, AccountID: info.AccountID}
	probe := func(req request) (allowed bool, err error) {
		_, err = c.do(ctx, req, nil)
		switch CodeOf(err) {
		case "":
			return true, nil
		case CodeInsufficientScope:
			return false, nil
		case CodeNotFound, CodeInvalidInput:
			// Allowed past the permission check; the probe's target is fake.
			return true, nil
		}
		return false, err
	}
	if ok, err := probe(firstOf("/api/2/users")); err != nil || !ok {
		return report, err
	}
	allRead, err := probe(firstOf("/api/2/apps"))
	if err != nil {
		return report, err
	}
	if allRead {
		report.Scope = ScopeReadAll
		manage, err := probe(firstOf("/api/2/connectors"))
		if err == nil && manage {
			report.Scope = ScopeManageAll
		}
		return report, err
	}
	report.Scope = ScopeReadUsers
	manage, err := probe(request{method: http.MethodPut, path: "/api/2/users/0", endpoint: "/api/2/users/:id", body: []byte("{}")})
	if err == nil && manage {
		report.Scope = ScopeManageUsers
	}
	return report, err
}

// firstOf asks a v2 list for one item: the cheapest permission probe.
func firstOf(path string) request {
	return request{method: http.MethodGet, path: path, endpoint: path, query: url.Values{"limit": {"1"}}}
}
