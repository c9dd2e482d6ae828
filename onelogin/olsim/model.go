package olsim

import (
	"maps"
	"slices"
	"time"
)

// User is a snapshot of a simulated user. Zero ids (GroupID, ManagerUserID,
// DirectoryID, TrustedIDPID) and nil pointers are null on the wire.
type User struct {
	ID         int64
	Username   string
	Email      string
	Firstname  string
	Lastname   string
	Title      string
	Department string
	Company    string
	Comment    string
	Phone      string
	Status     int
	State      int

	GroupID       int64
	RoleIDs       []int64 // derived from role membership, ascending
	ManagerUserID int64
	DirectoryID   int64
	TrustedIDPID  int64

	ManagerADID         *string
	ExternalID          *string
	DistinguishedName   *string
	MemberOf            *string
	Samaccountname      *string
	Userprincipalname   *string
	PreferredLocaleCode *string
	OpenIDName          *string
	LocaleCode          *string

	InvalidLoginAttempts int
	// CustomAttributes has one entry per defined shortname; nil means unset.
	CustomAttributes map[string]*string

	CreatedAt         time.Time
	UpdatedAt         time.Time
	ActivatedAt       *time.Time
	LastLogin         *time.Time
	InvitationSentAt  *time.Time
	PasswordChangedAt *time.Time
	LockedUntil       *time.Time

	HasPassword bool
}

// Group is a snapshot of a group.
type Group struct {
	ID   int64
	Name string
}

// Role is a snapshot of a role and its members, ids ascending.
type Role struct {
	ID       int64
	Name     string
	UserIDs  []int64
	AdminIDs []int64
	AppIDs   []int64
}

// App is a snapshot of an app.
type App struct {
	ID          int64
	ConnectorID int64
	Name        string
	Description string
	Notes       string
	AuthMethod  int
	Visible     bool
	IconURL     string
	TabID       int64
	PolicyID    int64
	RoleIDs     []int64 // derived from roles, ascending
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Connector is an entry of the connector catalogue.
type Connector struct {
	ID                  int64
	Name                string
	AuthMethod          int
	AllowsNewParameters bool
	IconURL             string
}

// SentInvite records an email "sent" by send_invite_link.
type SentInvite struct {
	UserID int64     `json:"user_id"`
	Email  string    `json:"email"` // the user's email
	To     string    `json:"to"`    // where it went: personal_email if given, else Email
	Link   string    `json:"link"`
	At     time.Time `json:"at"`
}

// Logout records a PUT /api/1/users/:id/logout.
type Logout struct {
	UserID int64     `json:"user_id"`
	At     time.Time `json:"at"`
}

// authMethods maps OneLogin's auth_method codes to their descriptions (§9).
var authMethods = map[int]string{
	0: "Password", 1: "OpenId", 2: "SAML2.0", 3: "API", 4: "Google",
	6: "Forms Based App", 7: "WS-Federation", 8: "OpenID Connect",
}

// userStatuses and userStates are the valid codes (§6.2).
var (
	userStatuses = []int{0, 1, 2, 3, 4, 5, 7, 8}
	userStates   = []int{0, 1, 2, 3}
)

const (
	statusUnactivated     = 0
	statusActive          = 1
	statusLocked          = 3
	statusPasswordExpired = 4
	statusAwaitingReset   = 5
	statusPasswordPending = 7
	stateUnlicensed       = 3
)

// user is the stored form: the snapshot fields plus what never leaves.
type user struct {
	User
	password string
}

type membership struct {
	addedAt time.Time
	addedBy int64
}

type role struct {
	id     int64
	name   string
	users  map[int64]membership
	admins map[int64]membership
	apps   []int64 // ascending
}

func (r *role) snapshot() Role {
	return Role{ID: r.id, Name: r.name, UserIDs: sortedKeys(r.users), AdminIDs: sortedKeys(r.admins), AppIDs: slices.Clone(r.apps)}
}

func sortedKeys[V any](m map[int64]V) []int64 {
	return slices.Sorted(maps.Keys(m))
}

// copyUser deep-copies u so snapshots never alias stored state.
func copyUser(u User) User {
	u.RoleIDs = slices.Clone(u.RoleIDs)
	u.CustomAttributes = maps.Clone(u.CustomAttributes)
	for k, v := range u.CustomAttributes {
		u.CustomAttributes[k] = clonePtr(v)
	}
	for _, p := range []**string{&u.ManagerADID, &u.ExternalID, &u.DistinguishedName, &u.MemberOf, &u.Samaccountname,
		&u.Userprincipalname, &u.PreferredLocaleCode, &u.OpenIDName, &u.LocaleCode} {
		*p = clonePtr(*p)
	}
	for _, p := range []**time.Time{&u.ActivatedAt, &u.LastLogin, &u.InvitationSentAt, &u.PasswordChangedAt, &u.LockedUntil} {
		*p = clonePtr(*p)
	}
	return u
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func ptr[T any](v T) *T { return &v }

// Wire helpers: OneLogin sends null for absent ids and times.

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func nullString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func idsOrEmpty(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// userWire renders a user as OneLogin does: v2 (§6.1) or the v1 variant with
// role_id, openid_name and locale_code. Maps keep rendering, filtering,
// sorting and field projection on one representation.
func userWire(u User, v1 bool) map[string]any {
	custom := make(map[string]any, len(u.CustomAttributes))
	for k, v := range u.CustomAttributes {
		custom[k] = nullString(v)
	}
	m := map[string]any{
		"id": u.ID, "username": u.Username, "email": u.Email, "firstname": u.Firstname, "lastname": u.Lastname,
		"title": u.Title, "department": u.Department, "company": u.Company, "comment": u.Comment, "phone": u.Phone,
		"status": u.Status, "state": u.State,
		"group_id": nullID(u.GroupID), "manager_user_id": nullID(u.ManagerUserID),
		"directory_id": nullID(u.DirectoryID), "trusted_idp_id": nullID(u.TrustedIDPID),
		"manager_ad_id": nullString(u.ManagerADID), "external_id": nullString(u.ExternalID),
		"distinguished_name": nullString(u.DistinguishedName), "member_of": nullString(u.MemberOf),
		"samaccountname": nullString(u.Samaccountname), "userprincipalname": nullString(u.Userprincipalname),
		"preferred_locale_code":  nullString(u.PreferredLocaleCode),
		"invalid_login_attempts": u.InvalidLoginAttempts,
		"custom_attributes":      custom,
		"created_at":             formatTime(u.CreatedAt), "updated_at": formatTime(u.UpdatedAt),
		"activated_at": nullTime(u.ActivatedAt), "last_login": nullTime(u.LastLogin),
		"invitation_sent_at": nullTime(u.InvitationSentAt), "password_changed_at": nullTime(u.PasswordChangedAt),
		"locked_until": nullTime(u.LockedUntil),
	}
	if v1 {
		m["role_id"] = idsOrEmpty(u.RoleIDs)
		m["openid_name"] = nullString(u.OpenIDName)
		m["locale_code"] = nullString(u.LocaleCode)
	} else {
		m["role_ids"] = idsOrEmpty(u.RoleIDs)
	}
	return m
}

func groupWire(g Group) map[string]any {
	return map[string]any{"id": g.ID, "name": g.Name, "reference": nil}
}

func appWire(a App) map[string]any {
	return map[string]any{
		"id": a.ID, "connector_id": a.ConnectorID, "name": a.Name, "description": a.Description, "notes": a.Notes,
		"auth_method": a.AuthMethod, "auth_method_description": authMethods[a.AuthMethod],
		"visible": a.Visible, "icon_url": a.IconURL, "tab_id": nullID(a.TabID), "policy_id": nullID(a.PolicyID),
		"role_ids": idsOrEmpty(a.RoleIDs), "created_at": formatTime(a.CreatedAt), "updated_at": formatTime(a.UpdatedAt),
	}
}

func connectorWire(c Connector) map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "auth_method": c.AuthMethod,
		"allows_new_parameters": c.AllowsNewParameters, "icon_url": c.IconURL,
	}
}
