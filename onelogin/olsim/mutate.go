package olsim

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"
)

// Fields is a user write in wire form ("email", "status", "group_id",
// "custom_attributes", "password", ...), as POST/PUT /api/2/users take it.
type Fields = map[string]any

// Readers return copies: callers may keep and modify them freely.

// Users returns every user, ascending by id.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.order {
		out = append(out, s.userSnapshot(u))
	}
	return out
}

// OrgSize counts what the org holds.
type OrgSize struct {
	Users, Groups, Roles, Apps int
}

// Size counts users, groups, roles and apps without copying them, unlike
// len(Users()), which at a million users copies a million.
func (s *Server) Size() OrgSize {
	s.mu.Lock()
	defer s.mu.Unlock()
	return OrgSize{Users: len(s.users), Groups: len(s.groups), Roles: len(s.roles), Apps: len(s.apps)}
}

// User returns one user.
func (s *Server) User(id int64) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		return User{}, false
	}
	return s.userSnapshot(u), true
}

// CheckPassword reports whether pw is the user's current password.
func (s *Server) CheckPassword(id int64, pw string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	return u != nil && u.HasPassword && u.password == pw
}

// Groups returns every group, ascending by id.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.groups)
}

// Roles returns every role with its members, ascending by id.
func (s *Server) Roles() []Role {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Role, len(s.roles))
	for i, r := range s.roles {
		out[i] = r.snapshot()
	}
	return out
}

// Apps returns every app, ascending by id.
func (s *Server) Apps() []App {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]App, len(s.apps))
	for i, a := range s.apps {
		out[i] = s.appSnapshot(a)
	}
	return out
}

// Connectors returns the connector catalogue.
func (s *Server) Connectors() []Connector {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.connectors)
}

// CustomAttributes returns the defined custom attribute shortnames.
func (s *Server) CustomAttributes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.customAttr)
}

// SentInvites returns the emails send_invite_link "sent", oldest first.
func (s *Server) SentInvites() []SentInvite {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.invites)
}

// LoggedOut returns the PUT /api/1/users/:id/logout calls, oldest first.
func (s *Server) LoggedOut() []Logout {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.logouts)
}

// RequestCount returns how many requests an endpoint key received (see
// EndpointKeys for the format).
func (s *Server) RequestCount(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key]
}

// RequestCounts returns all per-endpoint request counts.
func (s *Server) RequestCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// ResetCounters zeroes the request counts and the write counts.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
	clear(s.writes)
}

// Mutations run through the same validation as the HTTP API (uniqueness,
// known groups, statuses), minus scope and password policy. A password
// without password_confirmation is taken as confirmed. Errors are *Error or
// ErrNotFound.

func toWrite(f Fields, creating bool) (userWrite, error) {
	w := userWrite{fields: map[string]json.RawMessage{}, creating: creating}
	for k, v := range f {
		raw, err := json.Marshal(v)
		if err != nil {
			return w, &Error{Status: 400, Message: "invalid value in " + k}
		}
		w.fields[k] = raw
	}
	if pw, ok := w.fields["password"]; ok && !w.has("password_confirmation") {
		w.fields["password_confirmation"] = pw
	}
	return w, nil
}

// CreateUser creates a user from wire fields.
func (s *Server) CreateUser(f Fields) (User, error) {
	w, err := toWrite(f, true)
	if err != nil {
		return User{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.createUser(w, s.clock.Now())
	if err != nil {
		return User{}, err
	}
	return s.userSnapshot(u), nil
}

// UpdateUser applies a partial update, like PUT /api/2/users/:id.
func (s *Server) UpdateUser(id int64, f Fields) (User, error) {
	w, err := toWrite(f, false)
	if err != nil {
		return User{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		return User{}, ErrNotFound
	}
	if err := s.applyUserWrite(u, w, s.clock.Now()); err != nil {
		return User{}, err
	}
	return s.userSnapshot(u), nil
}

// DeleteUser removes a user and its role memberships.
func (s *Server) DeleteUser(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[id] == nil {
		return ErrNotFound
	}
	s.removeUser(id, s.clock.Now())
	return nil
}

// SetUserGroup moves a user to a group; 0 clears the group.
func (s *Server) SetUserGroup(id, groupID int64) error {
	_, err := s.UpdateUser(id, Fields{"group_id": groupID})
	return err
}

// AddUserRoles adds roles to a user; roles it already has are skipped.
func (s *Server) AddUserRoles(id int64, roleIDs ...int64) error {
	return s.changeUserRoles(id, roleIDs, true)
}

// RemoveUserRoles removes roles from a user; roles it lacks are skipped.
func (s *Server) RemoveUserRoles(id int64, roleIDs ...int64) error {
	return s.changeUserRoles(id, roleIDs, false)
}

func (s *Server) changeUserRoles(id int64, roleIDs []int64, add bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[id] == nil {
		return ErrNotFound
	}
	for _, rid := range roleIDs {
		if s.role(rid) == nil {
			return ErrNotFound
		}
	}
	now := s.clock.Now()
	for _, rid := range roleIDs {
		s.setMember(s.role(rid), roleUsers, id, add, now)
	}
	return nil
}

// AddCredential adds (or replaces, revoking its tokens) an API credential.
func (s *Server) AddCredential(c Credential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addCredential(c)
}

// RemoveCredential deletes a credential; its tokens stop working.
func (s *Server) RemoveCredential(clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds[clientID] == nil {
		return ErrNotFound
	}
	delete(s.creds, clientID)
	s.revokeCredentialTokens(clientID)
	return nil
}

// SetCredentialOwnerDeleted marks the credential's owner deleted (token
// calls then answer 500 and its tokens stop working) or restores it.
func (s *Server) SetCredentialOwnerDeleted(clientID string, deleted bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.creds[clientID]
	if c == nil {
		return ErrNotFound
	}
	c.OwnerDeleted = deleted
	return nil
}

// Credentials returns the configured credentials.
func (s *Server) Credentials() []Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Credential, 0, len(s.creds))
	for _, id := range slices.Sorted(maps.Keys(s.creds)) {
		out = append(out, s.creds[id].Credential)
	}
	return out
}

// RevokeAllTokens revokes every issued token, as if an admin revoked them.
func (s *Server) RevokeAllTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.revoked = true
	}
}

// ErrClockNotAdjustable is returned when Options.Clock cannot be moved.
var ErrClockNotAdjustable = errors.New("olsim: clock is not adjustable")

// AdvanceClock moves an adjustable clock (the default one, or a
// *ManualClock) forward by d.
func (s *Server) AdvanceClock(d time.Duration) error {
	c, ok := s.clock.(AdjustableClock)
	if !ok {
		return ErrClockNotAdjustable
	}
	c.Advance(d)
	return nil
}

// SetClock jumps an adjustable clock to t.
func (s *Server) SetClock(t time.Time) error {
	c, ok := s.clock.(AdjustableClock)
	if !ok {
		return ErrClockNotAdjustable
	}
	c.Set(t)
	return nil
}
