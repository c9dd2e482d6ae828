package onelogin

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// UserStatus is OneLogin's user status code (reference §6.2).
type UserStatus int

// The status codes. 6 is unused by OneLogin.
const (
	StatusUnactivated               UserStatus = 0
	StatusActive                    UserStatus = 1
	StatusSuspended                 UserStatus = 2
	StatusLocked                    UserStatus = 3
	StatusPasswordExpired           UserStatus = 4
	StatusAwaitingPasswordReset     UserStatus = 5
	StatusPasswordPending           UserStatus = 7
	StatusSecurityQuestionsRequired UserStatus = 8
)

var statusWords = map[UserStatus]string{
	StatusUnactivated:               "unactivated",
	StatusActive:                    "active",
	StatusSuspended:                 "suspended",
	StatusLocked:                    "locked",
	StatusPasswordExpired:           "password_expired",
	StatusAwaitingPasswordReset:     "awaiting_password_reset",
	StatusPasswordPending:           "password_pending",
	StatusSecurityQuestionsRequired: "security_questions_required",
}

// String is the status as a word. Suspended is "suspended": never "deleted".
func (s UserStatus) String() string {
	if w, ok := statusWords[s]; ok {
		return w
	}
	return "status_" + strconv.Itoa(int(s))
}

// UserState is OneLogin's approval/licensing state (reference §6.2).
type UserState int

// The state codes.
const (
	StateUnapproved UserState = 0
	StateApproved   UserState = 1
	StateRejected   UserState = 2
	StateUnlicensed UserState = 3
)

func (s UserState) String() string {
	switch s {
	case StateUnapproved:
		return "unapproved"
	case StateApproved:
		return "approved"
	case StateRejected:
		return "rejected"
	case StateUnlicensed:
		return "unlicensed"
	}
	return "state_" + strconv.Itoa(int(s))
}

// User is a OneLogin user with the fields of reference §6.1. Optional
// references are pointers; OneLogin's "" and null strings both read as "".
type User struct {
	ID                   int64
	Username             string
	Email                string
	Firstname            string
	Lastname             string
	Title                string
	Department           string
	Company              string
	Comment              string
	Phone                string
	Status               UserStatus
	State                UserState
	GroupID              *int64
	RoleIDs              []int64
	ManagerUserID        *int64
	ManagerADID          string
	DirectoryID          *int64
	TrustedIDPID         *int64
	ExternalID           string
	DistinguishedName    string
	MemberOf             string
	Samaccountname       string
	Userprincipalname    string
	PreferredLocaleCode  string
	InvalidLoginAttempts int
	// CustomAttributes maps every defined shortname to its value; unset ones
	// are nil.
	CustomAttributes  map[string]*string
	CreatedAt         *time.Time
	UpdatedAt         *time.Time
	ActivatedAt       *time.Time
	LastLogin         *time.Time
	InvitationSentAt  *time.Time
	PasswordChangedAt *time.Time
	LockedUntil       *time.Time
}

// wireUser is the tolerant decoding of both the v2 and v1 user shapes.
type wireUser struct {
	ID                   looseInt          `json:"id"`
	Username             looseString       `json:"username"`
	Email                looseString       `json:"email"`
	Firstname            looseString       `json:"firstname"`
	Lastname             looseString       `json:"lastname"`
	Title                looseString       `json:"title"`
	Department           looseString       `json:"department"`
	Company              looseString       `json:"company"`
	Comment              looseString       `json:"comment"`
	Phone                looseString       `json:"phone"`
	Status               looseInt          `json:"status"`
	State                looseInt          `json:"state"`
	GroupID              looseInt          `json:"group_id"`
	RoleIDs              []looseInt        `json:"role_ids"`
	RoleIDV1             []looseInt        `json:"role_id"`
	ManagerUserID        looseInt          `json:"manager_user_id"`
	ManagerADID          looseString       `json:"manager_ad_id"`
	DirectoryID          looseInt          `json:"directory_id"`
	TrustedIDPID         looseInt          `json:"trusted_idp_id"`
	ExternalID           looseString       `json:"external_id"`
	DistinguishedName    looseString       `json:"distinguished_name"`
	MemberOf             looseString       `json:"member_of"`
	Samaccountname       looseString       `json:"samaccountname"`
	Userprincipalname    looseString       `json:"userprincipalname"`
	PreferredLocaleCode  looseString       `json:"preferred_locale_code"`
	InvalidLoginAttempts looseInt          `json:"invalid_login_attempts"`
	CustomAttributes     map[string]*loose `json:"custom_attributes"`
	CreatedAt            looseTime         `json:"created_at"`
	UpdatedAt            looseTime         `json:"updated_at"`
	ActivatedAt          looseTime         `json:"activated_at"`
	LastLogin            looseTime         `json:"last_login"`
	InvitationSentAt     looseTime         `json:"invitation_sent_at"`
	PasswordChangedAt    looseTime         `json:"password_changed_at"`
	LockedUntil          looseTime         `json:"locked_until"`
}

// UnmarshalJSON decodes a v1 or v2 user, tolerating ids sent as strings,
// strings sent as null or numbers, and v1's role_id.
func (u *User) UnmarshalJSON(b []byte) error {
	var w wireUser
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	roles := w.RoleIDs
	if roles == nil {
		roles = w.RoleIDV1
	}
	*u = User{
		ID: w.ID.int64(), Username: string(w.Username), Email: string(w.Email),
		Firstname: string(w.Firstname), Lastname: string(w.Lastname), Title: string(w.Title),
		Department: string(w.Department), Company: string(w.Company), Comment: string(w.Comment),
		Phone: string(w.Phone), Status: UserStatus(w.Status.int64()), State: UserState(w.State.int64()),
		GroupID: w.GroupID.ptr(), RoleIDs: ids(roles), ManagerUserID: w.ManagerUserID.ptr(),
		ManagerADID: string(w.ManagerADID), DirectoryID: w.DirectoryID.ptr(), TrustedIDPID: w.TrustedIDPID.ptr(),
		ExternalID: string(w.ExternalID), DistinguishedName: string(w.DistinguishedName),
		MemberOf: string(w.MemberOf), Samaccountname: string(w.Samaccountname),
		Userprincipalname: string(w.Userprincipalname), PreferredLocaleCode: string(w.PreferredLocaleCode),
		InvalidLoginAttempts: int(w.InvalidLoginAttempts.int64()),
		CreatedAt:            w.CreatedAt.ptr(), UpdatedAt: w.UpdatedAt.ptr(), ActivatedAt: w.ActivatedAt.ptr(),
		LastLogin: w.LastLogin.ptr(), InvitationSentAt: w.InvitationSentAt.ptr(),
		PasswordChangedAt: w.PasswordChangedAt.ptr(), LockedUntil: w.LockedUntil.ptr(),
	}
	if w.CustomAttributes != nil {
		u.CustomAttributes = make(map[string]*string, len(w.CustomAttributes))
		for k, v := range w.CustomAttributes {
			u.CustomAttributes[k] = v.ptr()
		}
	}
	return nil
}

// Group is a OneLogin group (v1). A user belongs to at most one.
type Group struct {
	ID   int64
	Name string
}

func (g *Group) UnmarshalJSON(b []byte) error {
	var w struct {
		ID   looseInt    `json:"id"`
		Name looseString `json:"name"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*g = Group{ID: w.ID.int64(), Name: string(w.Name)}
	return nil
}

// Role is a OneLogin role. Users, Admins and Apps are filled only when asked
// for with RoleQuery.Fields.
type Role struct {
	ID     int64
	Name   string
	Users  []int64
	Admins []int64
	Apps   []int64
}

func (r *Role) UnmarshalJSON(b []byte) error {
	var w struct {
		ID     looseInt    `json:"id"`
		Name   looseString `json:"name"`
		Users  []looseInt  `json:"users"`
		Admins []looseInt  `json:"admins"`
		Apps   []looseInt  `json:"apps"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = Role{ID: w.ID.int64(), Name: string(w.Name), Users: ids(w.Users), Admins: ids(w.Admins), Apps: ids(w.Apps)}
	return nil
}

// RoleUser is one entry of GET /api/2/roles/:id/users.
type RoleUser struct {
	ID       int64
	Name     string
	Username string
	Email    string
	AddedAt  *time.Time
	Assigned bool
}

func (r *RoleUser) UnmarshalJSON(b []byte) error {
	var w struct {
		ID       looseInt    `json:"id"`
		Name     looseString `json:"name"`
		Username looseString `json:"username"`
		Email    looseString `json:"email"`
		AddedAt  looseTime   `json:"added_at"`
		Assigned *bool       `json:"assigned"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = RoleUser{ID: w.ID.int64(), Name: string(w.Name), Username: string(w.Username),
		Email: string(w.Email), AddedAt: w.AddedAt.ptr(), Assigned: w.Assigned == nil || *w.Assigned}
	return nil
}

// AuthMethod is an app's sign-in method code.
type AuthMethod int

func (a AuthMethod) String() string {
	switch a {
	case 0:
		return "password"
	case 1:
		return "openid"
	case 2:
		return "saml"
	case 3:
		return "api"
	case 4:
		return "google"
	case 6:
		return "forms_based"
	case 7:
		return "ws_fed"
	case 8:
		return "openid_connect"
	}
	return "auth_method_" + strconv.Itoa(int(a))
}

// App is a OneLogin app (reference §9).
type App struct {
	ID                    int64
	ConnectorID           int64
	Name                  string
	Description           string
	Notes                 string
	AuthMethod            AuthMethod
	AuthMethodDescription string
	Visible               bool
	IconURL               string
	PolicyID              *int64
	TabID                 *int64
	RoleIDs               []int64
	CreatedAt             *time.Time
	UpdatedAt             *time.Time
}

func (a *App) UnmarshalJSON(b []byte) error {
	var w struct {
		ID                    looseInt    `json:"id"`
		ConnectorID           looseInt    `json:"connector_id"`
		Name                  looseString `json:"name"`
		Description           looseString `json:"description"`
		Notes                 looseString `json:"notes"`
		AuthMethod            looseInt    `json:"auth_method"`
		AuthMethodDescription looseString `json:"auth_method_description"`
		Visible               *bool       `json:"visible"`
		IconURL               looseString `json:"icon_url"`
		PolicyID              looseInt    `json:"policy_id"`
		TabID                 looseInt    `json:"tab_id"`
		RoleIDs               []looseInt  `json:"role_ids"`
		CreatedAt             looseTime   `json:"created_at"`
		UpdatedAt             looseTime   `json:"updated_at"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = App{ID: w.ID.int64(), ConnectorID: w.ConnectorID.int64(), Name: string(w.Name),
		Description: string(w.Description), Notes: string(w.Notes), AuthMethod: AuthMethod(w.AuthMethod.int64()),
		AuthMethodDescription: string(w.AuthMethodDescription), Visible: w.Visible == nil || *w.Visible,
		IconURL: string(w.IconURL), PolicyID: w.PolicyID.ptr(), TabID: w.TabID.ptr(), RoleIDs: ids(w.RoleIDs),
		CreatedAt: w.CreatedAt.ptr(), UpdatedAt: w.UpdatedAt.ptr()}
	return nil
}

// looseInt reads a number, a numeric string, "" or null. OneLogin sends
// manager_user_id as an int where SDKs expected strings (reference ISS-113),
// and connectors send ids as strings; accept both.
type looseInt struct {
	v   int64
	set bool
}

func (l *looseInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*l = looseInt{}
		return nil
	}
	s := strings.Trim(string(b), `"`)
	if s == "" {
		*l = looseInt{}
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		*l = looseInt{v: int64(f), set: true}
		return nil
	}
	// A non-numeric value where an id was expected carries no id.
	*l = looseInt{}
	return nil
}

func (l looseInt) int64() int64 { return l.v }

func (l looseInt) ptr() *int64 {
	if !l.set {
		return nil
	}
	v := l.v
	return &v
}

func ids(in []looseInt) []int64 {
	if in == nil {
		return nil
	}
	out := make([]int64, 0, len(in))
	for _, v := range in {
		if v.set {
			out = append(out, v.v)
		}
	}
	return out
}

// looseString reads a string, null (as ""), or a number or bool (as text).
type looseString string

func (l *looseString) UnmarshalJSON(b []byte) error {
	v, err := decodeLoose(b)
	*l = looseString(v.text)
	return err
}

// loose keeps whether a value was null, for custom attributes.
type loose struct {
	text string
	null bool
}

func (l *loose) UnmarshalJSON(b []byte) error {
	v, err := decodeLoose(b)
	*l = v
	return err
}

func (l *loose) ptr() *string {
	if l == nil || l.null {
		return nil
	}
	s := l.text
	return &s
}

func decodeLoose(b []byte) (loose, error) {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return loose{null: true}, nil
	case len(b) > 0 && b[0] == '"':
		var s string
		err := json.Unmarshal(b, &s)
		return loose{text: s}, err
	default:
		// Numbers, bools and nested values are kept as their JSON text.
		return loose{text: string(b)}, nil
	}
}

// looseTime reads ISO-8601 timestamps, "" and null.
type looseTime struct{ t *time.Time }

func (l *looseTime) UnmarshalJSON(b []byte) error {
	v, err := decodeLoose(b)
	if err != nil || v.null || v.text == "" {
		l.t = nil
		return err
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02 15:04:05 MST", "2006-01-02"} {
		if t, perr := time.Parse(layout, v.text); perr == nil {
			t = t.UTC()
			l.t = &t
			return nil
		}
	}
	// An unreadable timestamp is dropped rather than failing the whole page.
	l.t = nil
	return nil
}

func (l looseTime) ptr() *time.Time { return l.t }
