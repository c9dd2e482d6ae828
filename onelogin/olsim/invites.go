package olsim

import "encoding/json"

// inviteTarget validates an invite body and finds the user by exact,
// case-sensitive email (§6.6).
func (s *Server) inviteTarget(c *call) (*user, string, *response) {
	var body struct {
		Email         string `json:"email"`
		PersonalEmail string `json:"personal_email"`
	}
	if json.Unmarshal(c.body, &body) != nil {
		return nil, "", v1Err(400, "Input JSON is not valid")
	}
	switch {
	case body.Email == "":
		return nil, "", v1Err(400, "Email Parameter is missing")
	case !looksLikeEmail(body.Email), body.PersonalEmail != "" && !looksLikeEmail(body.PersonalEmail):
		return nil, "", v1Err(400, "Email Input is in incorrect format")
	}
	for _, u := range s.users {
		if u.Email == body.Email {
			return u, body.PersonalEmail, nil
		}
	}
	return nil, "", v1Err(400, "No User exists for input email")
}

func (s *Server) inviteLink() string {
	return "https://" + s.opts.Subdomain + ".onelogin.com/password/reset?token=" + s.randHex(20)
}

// getInviteLink serves POST /api/1/invites/get_invite_link; no email is sent.
func (s *Server) getInviteLink(c *call) *response {
	if _, _, fail := s.inviteTarget(c); fail != nil {
		return fail
	}
	return v1OK([]string{s.inviteLink()})
}

// sendInviteLink serves POST /api/1/invites/send_invite_link and records the
// email in SentInvites.
func (s *Server) sendInviteLink(c *call) *response {
	u, personal, fail := s.inviteTarget(c)
	if fail != nil {
		return fail
	}
	to := u.Email
	if personal != "" {
		to = personal
	}
	s.invites = append(s.invites, SentInvite{UserID: u.ID, Email: u.Email, To: to, Link: s.inviteLink(), At: c.now})
	u.InvitationSentAt = ptr(c.now)
	s.touch(&u.User, c.now)
	s.emitUser(EventUserInviteSent, c.now, &u.User, "to "+to)
	s.countWrite(u.ID, WriteInvite)
	return v1Write(200, "Email sent successfully to "+to, nil, nil)
}
