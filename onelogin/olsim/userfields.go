package olsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
)

// userField sets one writable user attribute from its JSON value.
type userField func(u *User, raw json.RawMessage) error

func stringField(f func(*User) *string) userField {
	return func(u *User, raw json.RawMessage) error {
		var v *string
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		*f(u) = ""
		if v != nil {
			*f(u) = *v
		}
		return nil
	}
}

func nullableStringField(f func(*User) **string) userField {
	return func(u *User, raw json.RawMessage) error {
		var v *string
		err := json.Unmarshal(raw, &v)
		*f(u) = v
		return err
	}
}

// idField accepts an integer or null; 0 and null both mean "none".
func idField(f func(*User) *int64) userField {
	return func(u *User, raw json.RawMessage) error {
		var v *int64
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		*f(u) = 0
		if v != nil {
			*f(u) = *v
		}
		return nil
	}
}

func intField(f func(*User) *int) userField {
	return func(u *User, raw json.RawMessage) error { return json.Unmarshal(raw, f(u)) }
}

// userFields are the plain attributes POST/PUT /api/2/users accept (§6.4).
var userFields = map[string]userField{
	"username":               stringField(func(u *User) *string { return &u.Username }),
	"email":                  stringField(func(u *User) *string { return &u.Email }),
	"firstname":              stringField(func(u *User) *string { return &u.Firstname }),
	"lastname":               stringField(func(u *User) *string { return &u.Lastname }),
	"title":                  stringField(func(u *User) *string { return &u.Title }),
	"department":             stringField(func(u *User) *string { return &u.Department }),
	"company":                stringField(func(u *User) *string { return &u.Company }),
	"comment":                stringField(func(u *User) *string { return &u.Comment }),
	"phone":                  stringField(func(u *User) *string { return &u.Phone }),
	"manager_ad_id":          nullableStringField(func(u *User) **string { return &u.ManagerADID }),
	"external_id":            nullableStringField(func(u *User) **string { return &u.ExternalID }),
	"distinguished_name":     nullableStringField(func(u *User) **string { return &u.DistinguishedName }),
	"member_of":              nullableStringField(func(u *User) **string { return &u.MemberOf }),
	"samaccountname":         nullableStringField(func(u *User) **string { return &u.Samaccountname }),
	"userprincipalname":      nullableStringField(func(u *User) **string { return &u.Userprincipalname }),
	"preferred_locale_code":  nullableStringField(func(u *User) **string { return &u.PreferredLocaleCode }),
	"openid_name":            nullableStringField(func(u *User) **string { return &u.OpenIDName }),
	"group_id":               idField(func(u *User) *int64 { return &u.GroupID }),
	"manager_user_id":        idField(func(u *User) *int64 { return &u.ManagerUserID }),
	"directory_id":           idField(func(u *User) *int64 { return &u.DirectoryID }),
	"trusted_idp_id":         idField(func(u *User) *int64 { return &u.TrustedIDPID }),
	"status":                 intField(func(u *User) *int { return &u.Status }),
	"state":                  intField(func(u *User) *int { return &u.State }),
	"invalid_login_attempts": intField(func(u *User) *int { return &u.InvalidLoginAttempts }),
}

// userSpecialFields are accepted too but handled by applyUserWrite itself.
var userSpecialFields = []string{"custom_attributes", "role_ids", "password", "password_confirmation", "password_algorithm", "salt"}

var passwordAlgorithms = []string{"salt+sha256", "sha256+salt", "bcrypt"}

// userWrite is a decoded POST/PUT /api/2/users body.
type userWrite struct {
	fields         map[string]json.RawMessage
	validatePolicy bool
	creating       bool
}

func (w userWrite) has(k string) bool { _, ok := w.fields[k]; return ok }

// kinds names the write counters an update counts (see WriteUpdate).
func (w userWrite) kinds() []string {
	kinds := []string{WriteUpdate}
	if w.has("status") {
		kinds = append(kinds, WriteStatus)
		var st int
		_ = json.Unmarshal(w.fields["status"], &st)
		switch st {
		case statusActive:
			kinds = append(kinds, WriteActivate)
		case statusSuspended:
			kinds = append(kinds, WriteSuspend)
		}
	}
	for field, kind := range map[string]string{"state": WriteState, "group_id": WriteGroup, "password": WritePassword} {
		if w.has(field) {
			kinds = append(kinds, kind)
		}
	}
	return kinds
}

func (w userWrite) str(k string) string {
	var v string
	_ = json.Unmarshal(w.fields[k], &v)
	return v
}

func validationFailed(msgs []string) error {
	return &Error{Status: 422, Message: "Validation failed: " + strings.Join(msgs, ", ")}
}

// applyUserWrite validates w against u and, if valid, applies it. It is the
// single write path for create, update and the Go/admin mutation API.
func (s *Server) applyUserWrite(u *user, w userWrite, now time.Time) error {
	next := user{User: copyUser(u.User), password: u.password, custom: slices.Clone(u.custom)}
	for _, k := range slices.Sorted(maps.Keys(w.fields)) {
		if f := userFields[k]; f != nil {
			if err := f(&next.User, w.fields[k]); err != nil {
				return &Error{Status: 400, Message: fmt.Sprintf("invalid value in %q", k)}
			}
		} else if !slices.Contains(userSpecialFields, k) {
			return &Error{Status: 400, Message: "unknown attribute: " + k}
		}
	}
	if w.has("custom_attributes") {
		var ca map[string]*string
		if json.Unmarshal(w.fields["custom_attributes"], &ca) != nil {
			return &Error{Status: 400, Message: `invalid value in "custom_attributes"`}
		}
		for k, v := range ca {
			i := slices.Index(s.customAttr, k)
			if i < 0 {
				return validationFailed([]string{"Custom attribute " + k + " is not defined"})
			}
			next.custom[i] = v
		}
	}
	var roleIDs []int64
	if w.has("role_ids") && json.Unmarshal(w.fields["role_ids"], &roleIDs) != nil {
		return &Error{Status: 400, Message: `invalid value in "role_ids"`}
	}

	msgs := s.userProblems(&next, u)
	if w.has("password") {
		if algo := w.str("password_algorithm"); algo != "" {
			if !slices.Contains(passwordAlgorithms, algo) {
				msgs = append(msgs, "Password algorithm is not included in the list")
			}
		} else {
			msgs = append(msgs, s.passwordProblems(w.str("password"), w.str("password_confirmation"), w.validatePolicy)...)
		}
		setPassword(&next, w.str("password"), now, w.has("status"))
	}
	if len(msgs) > 0 {
		return validationFailed(msgs)
	}
	// Activating a user who has no password is [U]: Options decide.
	if w.has("status") && next.Status == statusActive && !next.HasPassword && u.Status != statusActive {
		switch s.opts.ActivateWithoutPassword {
		case ActivateReject:
			return validationFailed([]string{"Status cannot be Active for a user without a password"})
		case ActivateIgnore:
			next.Status = u.Status
		}
	}
	if s.opts.WriteRoleIDs && w.has("role_ids") {
		for _, id := range roleIDs {
			if s.role(id) == nil {
				return validationFailed([]string{fmt.Sprintf("Role %d does not exist", id)})
			}
		}
	}

	if w.creating || !reflect.DeepEqual(next, *u) {
		s.touch(&next.User, now)
	}
	s.regroup(u.ID, u.GroupID, next.GroupID)
	old := *u
	*u = next
	s.version++
	if !w.creating {
		s.emitUserChanges(&old, u, now)
		s.countWrite(u.ID, w.kinds()...)
	}
	if s.opts.WriteRoleIDs && w.has("role_ids") {
		s.replaceUserRoles(u, roleIDs, now)
	}
	return nil
}

// userProblems collects validation messages for next (old is its stored
// version, or the blank user on create).
func (s *Server) userProblems(next, old *user) []string {
	var msgs []string
	if s.opts.RequireUsernameAndEmail {
		if next.Email == "" {
			msgs = append(msgs, "Email can't be blank")
		}
		if next.Username == "" {
			msgs = append(msgs, "Username can't be blank")
		}
	} else if next.Email == "" && next.Username == "" {
		msgs = append(msgs, "Username or email must be present")
	}
	if next.Email != "" && !looksLikeEmail(next.Email) {
		msgs = append(msgs, "Email is invalid")
	}
	var emailTaken, usernameTaken bool
	// A scan, so only when the write changes email or username.
	if next.Email != old.Email || next.Username != old.Username {
		for _, o := range s.users {
			if o.ID != next.ID {
				emailTaken = emailTaken || next.Email != "" && strings.EqualFold(o.Email, next.Email)
				usernameTaken = usernameTaken || next.Username != "" && strings.EqualFold(o.Username, next.Username)
			}
		}
	}
	if emailTaken {
		msgs = append(msgs, "Email must be unique within "+s.opts.Subdomain)
	}
	if usernameTaken {
		msgs = append(msgs, "Username must be unique within "+s.opts.Subdomain)
	}
	if !slices.Contains(userStatuses, next.Status) {
		msgs = append(msgs, "Status is not included in the list")
	}
	if !slices.Contains(userStates, next.State) {
		msgs = append(msgs, "State is not included in the list")
	} else if old.State == stateUnlicensed && next.State != stateUnlicensed {
		msgs = append(msgs, "State can only leave Unlicensed through set_state")
	}
	if next.GroupID != 0 && s.group(next.GroupID) == nil {
		msgs = append(msgs, fmt.Sprintf("Group %d does not exist", next.GroupID))
	}
	return msgs
}

func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t")
}

// passwordProblems checks confirmation and, when asked, the password policy.
func (s *Server) passwordProblems(pw, confirm string, validatePolicy bool) []string {
	var msgs []string
	if pw == "" {
		return []string{"Password can't be blank"}
	}
	if pw != confirm {
		msgs = append(msgs, "Password confirmation doesn't match Password")
	}
	if !validatePolicy {
		return msgs
	}
	p := s.opts.PasswordPolicy
	if len(pw) < p.MinLength {
		msgs = append(msgs, fmt.Sprintf("Password is too short (minimum is %d characters)", p.MinLength))
	}
	checks := []struct {
		on   bool
		ok   func(rune) bool
		what string
	}{
		{p.RequireUpper, unicode.IsUpper, "an uppercase letter"},
		{p.RequireLower, unicode.IsLower, "a lowercase letter"},
		{p.RequireDigit, unicode.IsDigit, "a number"},
		{p.RequireSpecial, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }, "a special character"},
	}
	for _, c := range checks {
		if c.on && !strings.ContainsFunc(pw, c.ok) {
			msgs = append(msgs, "Password must contain "+c.what)
		}
	}
	return msgs
}

// setPassword stores a new password. A user waiting for one becomes active
// unless the same write sets status explicitly.
func setPassword(u *user, pw string, now time.Time, explicitStatus bool) {
	u.password, u.HasPassword, u.PasswordChangedAt = pw, true, ptr(now)
	switch u.Status {
	case statusUnactivated, statusPasswordExpired, statusAwaitingReset, statusPasswordPending:
		if !explicitStatus {
			u.Status = statusActive
		}
	}
}

// touch records a change: updated_at always, activated_at the first time the
// user is active.
func (s *Server) touch(u *User, now time.Time) {
	s.version++
	s.updIdx.add(u.ID, now)
	u.UpdatedAt = now
	if u.Status == statusActive && u.ActivatedAt == nil {
		u.ActivatedAt = ptr(now)
	}
}
