package olsim

import (
	"maps"
	"slices"
	"strings"
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
	statusSuspended       = 2
	statusLocked          = 3
	statusPasswordExpired = 4
	statusAwaitingReset   = 5
	statusPasswordPending = 7
	stateUnlicensed       = 3
)

// user is the stored form: the snapshot fields plus what never leaves.
// Custom attribute values live in custom, by position in
// Server.customAttr (a slice is a fraction of a map's size, which counts at
// a million users); User.CustomAttributes stays nil here.
type user struct {
	User
	password string
	custom   []*string
}

type role struct {
	id     int64
	name   string
	users  memberSet
	admins memberSet
	apps   []int64 // ascending
}

func (r *role) snapshot() Role {
	return Role{ID: r.id, Name: r.name, UserIDs: nilIfEmpty(r.users.ids()), AdminIDs: nilIfEmpty(r.admins.ids()), AppIDs: slices.Clone(r.apps)}
}

func nilIfEmpty(ids []int64) []int64 {
	if len(ids) == 0 {
		return nil
	}
	return ids
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

// userAttrs read a user's wire attributes in comparable form: times as
// time.Time, absent ids, strings and times as nil. userWire renders them;
// filters and sorts read them without rendering the user.
var userAttrs = map[string]func(u *User) any{
	"id": func(u *User) any { return u.ID }, "username": func(u *User) any { return u.Username },
	"email": func(u *User) any { return u.Email }, "firstname": func(u *User) any { return u.Firstname },
	"lastname": func(u *User) any { return u.Lastname }, "title": func(u *User) any { return u.Title },
	"department": func(u *User) any { return u.Department }, "company": func(u *User) any { return u.Company },
	"comment": func(u *User) any { return u.Comment }, "phone": func(u *User) any { return u.Phone },
	"status": func(u *User) any { return u.Status }, "state": func(u *User) any { return u.State },
	"group_id":               func(u *User) any { return nullID(u.GroupID) },
	"manager_user_id":        func(u *User) any { return nullID(u.ManagerUserID) },
	"directory_id":           func(u *User) any { return nullID(u.DirectoryID) },
	"trusted_idp_id":         func(u *User) any { return nullID(u.TrustedIDPID) },
	"manager_ad_id":          func(u *User) any { return nullString(u.ManagerADID) },
	"external_id":            func(u *User) any { return nullString(u.ExternalID) },
	"distinguished_name":     func(u *User) any { return nullString(u.DistinguishedName) },
	"member_of":              func(u *User) any { return nullString(u.MemberOf) },
	"samaccountname":         func(u *User) any { return nullString(u.Samaccountname) },
	"userprincipalname":      func(u *User) any { return nullString(u.Userprincipalname) },
	"preferred_locale_code":  func(u *User) any { return nullString(u.PreferredLocaleCode) },
	"invalid_login_attempts": func(u *User) any { return u.InvalidLoginAttempts },
	"custom_attributes":      func(u *User) any { return customWire(u.CustomAttributes) },
	"created_at":             func(u *User) any { return u.CreatedAt },
	"updated_at":             func(u *User) any { return u.UpdatedAt },
	"activated_at":           func(u *User) any { return timeOrNil(u.ActivatedAt) },
	"last_login":             func(u *User) any { return timeOrNil(u.LastLogin) },
	"invitation_sent_at":     func(u *User) any { return timeOrNil(u.InvitationSentAt) },
	"password_changed_at":    func(u *User) any { return timeOrNil(u.PasswordChangedAt) },
	"locked_until":           func(u *User) any { return timeOrNil(u.LockedUntil) },
}

// userAttrsV1 are the attributes only v1 has; role_ids is role_id there.
var userAttrsV1 = map[string]func(u *User) any{
	"openid_name": func(u *User) any { return nullString(u.OpenIDName) },
	"locale_code": func(u *User) any { return nullString(u.LocaleCode) },
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

func customWire(ca map[string]*string) map[string]any {
	out := make(map[string]any, len(ca))
	for k, v := range ca {
		out[k] = nullString(v)
	}
	return out
}

// wireValue renders a comparable-form value for JSON.
func wireValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return formatTime(t)
	}
	return v
}

// userWire renders a user as OneLogin does: v2 (§6.1) or the v1 variant with
// role_id, openid_name and locale_code.
func userWire(u User, v1 bool) map[string]any {
	m := make(map[string]any, len(userAttrs)+len(userAttrsV1)+1)
	for k, f := range userAttrs {
		m[k] = wireValue(f(&u))
	}
	if !v1 {
		m["role_ids"] = idsOrEmpty(u.RoleIDs)
		return m
	}
	m["role_id"] = idsOrEmpty(u.RoleIDs)
	for k, f := range userAttrsV1 {
		m[k] = f(&u)
	}
	return m
}

// userRec is a stored user as list filters and sorts see it.
type userRec struct {
	s  *Server
	u  *user
	v1 bool
}

func (r *userRec) value(field string) (any, bool) {
	if head, rest, nested := strings.Cut(field, "."); nested {
		i := slices.Index(r.s.customAttr, rest)
		if head != "custom_attributes" || i < 0 {
			return nil, false
		}
		return nullString(r.u.custom[i]), true
	}
	if f := userAttrs[field]; f != nil {
		return f(&r.u.User), true
	}
	if f := userAttrsV1[field]; f != nil && r.v1 {
		return f(&r.u.User), true
	}
	if field == "role_id" && r.v1 || field == "role_ids" && !r.v1 {
		return r.s.userRoleIDs(r.u.ID), true
	}
	return nil, false
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
