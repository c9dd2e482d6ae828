package activities

import (
	"encoding/json"
	"time"

	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// The mapping from OneLogin's shapes to the store's records lives here, so
// that neither package knows the other.

func toDirectoryUser(u onelogin.User) directory.User {
	d := directory.User{
		OneLoginID: u.ID, Email: u.Email, Username: u.Username, FirstName: u.Firstname, LastName: u.Lastname,
		Title: u.Title, Department: u.Department, Company: u.Company, Phone: u.Phone,
		Status: directory.UserStatus(u.Status.String()), State: int(u.State),
		GroupID: deref(u.GroupID), ManagerID: deref(u.ManagerUserID), RoleIDs: u.RoleIDs,
		CreatedAt: derefTime(u.CreatedAt), UpdatedAt: derefTime(u.UpdatedAt), LastLogin: derefTime(u.LastLogin),
	}
	if len(u.CustomAttributes) > 0 {
		// Map keys marshal sorted, so equal attributes give equal JSON and
		// the store's change detection stays exact.
		d.CustomAttributes, _ = json.Marshal(u.CustomAttributes)
	}
	return d
}

func toDirectoryUsers(in []onelogin.User) []directory.User {
	out := make([]directory.User, len(in))
	for i, u := range in {
		out[i] = toDirectoryUser(u)
	}
	return out
}

func toDirectoryGroups(in []onelogin.Group) []directory.Group {
	out := make([]directory.Group, len(in))
	for i, g := range in {
		out[i] = directory.Group{OneLoginID: g.ID, Name: g.Name}
	}
	return out
}

func toDirectoryRoles(in []onelogin.Role) []directory.Role {
	out := make([]directory.Role, len(in))
	for i, r := range in {
		out[i] = directory.Role{OneLoginID: r.ID, Name: r.Name}
	}
	return out
}

func toDirectoryApps(in []onelogin.App) []directory.App {
	out := make([]directory.App, len(in))
	for i, a := range in {
		out[i] = directory.App{OneLoginID: a.ID, Name: a.Name, Description: a.Description, ConnectorID: a.ConnectorID,
			AuthMethod: int(a.AuthMethod), IconURL: a.IconURL, Visible: a.Visible,
			CreatedAt: derefTime(a.CreatedAt), UpdatedAt: derefTime(a.UpdatedAt)}
	}
	return out
}

func toScopeLevel(s onelogin.Scope) directory.ScopeLevel {
	if s == onelogin.ScopeAuthOnly {
		return directory.ScopeAuthOnly
	}
	return directory.ScopeLevel(s)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func derefTime(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return *p
}

// integrationStatuses is the one mapping between the codes a credential
// can fail with and the integration statuses the store keeps.
var integrationStatuses = map[errcode.Code]directory.IntegrationStatus{
	errcode.InvalidCredentials:     directory.StatusInvalidCredentials,
	errcode.InsufficientScope:      directory.StatusInsufficientScope,
	errcode.SubdomainNotFound:      directory.StatusSubdomainNotFound,
	errcode.CredentialOwnerDeleted: directory.StatusCredentialOwnerDeleted,
}

// StatusOfCode is the integration status a credential failure leaves, and
// false for codes that are not about the credential.
func StatusOfCode(c errcode.Code) (directory.IntegrationStatus, bool) {
	s, ok := integrationStatuses[c]
	return s, ok
}

// CodeOfStatus is the code behind a failed integration status, or "".
func CodeOfStatus(s directory.IntegrationStatus) errcode.Code {
	for c, st := range integrationStatuses {
		if st == s {
			return c
		}
	}
	return ""
}
