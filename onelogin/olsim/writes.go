package olsim

import "maps"

// Write kinds counted per user by Writes. A kind counts every accepted API
// request that asked for it, even when it changed nothing (suspending a
// suspended user counts): that is what tells a test that a client wrote
// exactly once. Only OneLogin API calls count; the admin API and the Go
// mutation methods do not.
const (
	WriteCreate          = "create"            // POST /api/2/users
	WriteUpdate          = "update"            // PUT /api/2/users/:id, any body
	WriteDelete          = "delete"            // DELETE /api/{1,2}/users/:id
	WriteStatus          = "status"            // a PUT that sets status, any value
	WriteSuspend         = "suspend"           // a PUT that sets status 2
	WriteActivate        = "activate"          // a PUT that sets status 1
	WriteState           = "state"             // set_state, or a PUT that sets state
	WriteGroup           = "group"             // a PUT that sets group_id (null too)
	WritePassword        = "password"          // set_password_clear_text, or a PUT with password
	WriteAddRole         = "add_role"          // per role: add_roles, POST /api/2/roles/:id/users; role_ids (Options.WriteRoleIDs) per role it adds
	WriteRemoveRole      = "remove_role"       // per role: remove_roles, DELETE /api/2/roles/:id/users; role_ids per role it removes
	WriteAddRoleAdmin    = "add_role_admin"    // per role: POST /api/2/roles/:id/admins
	WriteRemoveRoleAdmin = "remove_role_admin" // per role: DELETE /api/2/roles/:id/admins
	WriteLock            = "lock"              // PUT /api/1/users/:id/lock_user
	WriteUnlock          = "unlock"            // POST /api/2/users/:id/unlock
	WriteLogout          = "logout"            // PUT /api/1/users/:id/logout
	WriteInvite          = "invite"            // POST /api/1/invites/send_invite_link
)

// countWrite records one write of a kind on a user, when an API call is
// making it.
func (s *Server) countWrite(userID int64, kinds ...string) {
	if !s.by.api {
		return
	}
	m := s.writes[userID]
	if m == nil {
		m = map[string]int{}
		s.writes[userID] = m
	}
	for _, k := range kinds {
		m[k]++
	}
}

// Writes returns how many writes of each kind (Write* constants) the API
// applied to one user since the start or the last ResetCounters.
func (s *Server) Writes(userID int64) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.writes[userID])
}

// AllWrites returns Writes for every user that got any.
func (s *Server) AllWrites() map[int64]map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64]map[string]int, len(s.writes))
	for id, m := range s.writes {
		out[id] = maps.Clone(m)
	}
	return out
}
