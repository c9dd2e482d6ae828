package onelogin

import (
	"context"
	"net/http"
	"strings"
)

// GetInviteLink returns a password reset link for the user with this email
// (exact, case-sensitive) and sends no email. Treat the link as a secret:
// it lets anyone set the user's password for 24 hours.
func (c *Client) GetInviteLink(ctx context.Context, email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", invalidInput("email", "email is empty")
	}
	body, err := jsonBody(map[string]string{"email": email})
	if err != nil {
		return "", err
	}
	var env struct {
		Data []string `json:"data"`
	}
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/1/invites/get_invite_link",
		endpoint: "/api/1/invites/get_invite_link", body: body}, &env); err != nil {
		return "", err
	}
	if len(env.Data) == 0 || env.Data[0] == "" {
		return "", &Error{Code: CodeServerError, Status: http.StatusOK, Op: "POST /api/1/invites/get_invite_link", Message: "no link in response"}
	}
	return env.Data[0], nil
}

// SendInviteLink has OneLogin email the user a password reset link;
// personalEmail, when set, receives it instead.
func (c *Client) SendInviteLink(ctx context.Context, email, personalEmail string) error {
	email = strings.TrimSpace(email)
	if email == "" {
		return invalidInput("email", "email is empty")
	}
	payload := map[string]string{"email": email}
	if p := strings.TrimSpace(personalEmail); p != "" {
		payload["personal_email"] = p
	}
	return c.v1Write(ctx, http.MethodPost, "/api/1/invites/send_invite_link", "/api/1/invites/send_invite_link", payload)
}
