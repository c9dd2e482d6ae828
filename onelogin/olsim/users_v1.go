package olsim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// setState serves PUT /api/1/users/:id/set_state (§6.5).
func (s *Server) setState(c *call) *response {
	u, obj, fail := c.userAndBody()
	if fail != nil {
		return fail
	}
	var state int
	if json.Unmarshal(obj["state"], &state) != nil {
		return v1Err(400, v1Attr("state", "state has incorrect data type. It should be -> integer"))
	}
	switch {
	case !slices.Contains(userStates, state):
		return v1Err(400, "state is invalid")
	case state == u.State:
		return v1Err(400, "user is already in this state")
	case state == 0:
		// [U] which transitions are refused; going back to Unapproved is.
		return v1Err(400, "state is invalid")
	}
	old := u.State
	u.State = state
	s.touch(&u.User, c.now)
	s.emitUser(EventUserStateChanged, c.now, &u.User, fmt.Sprintf("state %d -> %d", old, state))
	s.countWrite(u.ID, WriteState)
	return v1OK(nil)
}

// setPasswordClearText serves PUT /api/1/users/set_password_clear_text/:id;
// validate_policy defaults to false here (§6.6).
func (s *Server) setPasswordClearText(c *call) *response {
	u, fail := c.lookupUser()
	if fail != nil {
		return fail
	}
	var body struct {
		Password             string `json:"password"`
		PasswordConfirmation string `json:"password_confirmation"`
		ValidatePolicy       bool   `json:"validate_policy"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return v1Err(400, "Input JSON is not valid")
	}
	if msgs := s.passwordProblems(body.Password, body.PasswordConfirmation, body.ValidatePolicy); len(msgs) > 0 {
		return v1Err(400, strings.Join(msgs, ", "))
	}
	setPassword(u, body.Password, c.now, false)
	s.touch(&u.User, c.now)
	s.emitUser(EventUserPasswordSet, c.now, &u.User, "")
	s.countWrite(u.ID, WritePassword)
	return v1OK(nil)
}

// logoutUser serves PUT /api/1/users/:id/logout. Sessions are not user
// attributes, so updated_at does not move.
func (s *Server) logoutUser(c *call) *response {
	u, fail := c.lookupUser()
	if fail != nil {
		return fail
	}
	s.logouts = append(s.logouts, Logout{UserID: u.ID, At: c.now})
	s.emitUser(EventUserLoggedOut, c.now, &u.User, "")
	s.countWrite(u.ID, WriteLogout)
	return v1OK(nil)
}

// lockUser serves PUT /api/1/users/:id/lock_user. locked_until is minutes; 0
// means the policy's period, which with no policy is "until unlocked".
func (s *Server) lockUser(c *call) *response {
	u, obj, fail := c.userAndBody()
	if fail != nil {
		return fail
	}
	var minutes int
	if json.Unmarshal(obj["locked_until"], &minutes) != nil || minutes < 0 {
		return v1Err(400, "locked_until should be -> integer")
	}
	u.Status, u.LockedUntil = statusLocked, nil
	notes := "until unlocked"
	if minutes > 0 {
		u.LockedUntil = ptr(c.now.Add(time.Duration(minutes) * time.Minute))
		notes = fmt.Sprintf("for %d minutes", minutes)
	}
	s.touch(&u.User, c.now)
	s.emitUser(EventUserLocked, c.now, &u.User, notes)
	s.countWrite(u.ID, WriteLock)
	return v1OK(nil)
}

func (s *Server) addRolesV1(c *call) *response    { return s.changeRolesV1(c, true) }
func (s *Server) removeRolesV1(c *call) *response { return s.changeRolesV1(c, false) }

// changeRolesV1 serves PUT /api/1/users/:id/{add,remove}_roles with the
// documented 400 messages (§4.1, §6.7).
func (s *Server) changeRolesV1(c *call, add bool) *response {
	u, obj, fail := c.userAndBody()
	if fail != nil {
		return fail
	}
	raw, ok := obj["role_id_array"]
	if len(obj) == 0 || !ok {
		return v1Err(400, "input parameters is empty")
	}
	var ids []int64
	if json.Unmarshal(raw, &ids) != nil {
		return v1Err(400, v1Attr("role_id_array", "role_id_array has incorrect data type. It should be -> array"))
	}
	if len(ids) == 0 {
		return v1Err(400, "role_id_array is empty")
	}
	all := make([]string, len(s.roles))
	for i, r := range s.roles {
		all[i] = fmt.Sprint(r.id)
	}
	have := s.userRoleIDs(u.ID)
	for _, id := range ids {
		switch {
		case s.role(id) == nil:
			return v1Err(400, "role_id_array should be a subset of -> ["+strings.Join(all, ", ")+"]")
		case add && slices.Contains(have, id):
			return v1Err(400, "input role_id_array is already included as user roles")
		case !add && !slices.Contains(have, id):
			return v1Err(400, "input role_id_array is not included as user roles")
		}
	}
	for _, id := range ids {
		s.countWrite(u.ID, roleWriteKind(roleUsers, add))
		s.setMember(s.role(id), roleUsers, u.ID, add, c.now)
	}
	return v1OK(nil)
}
