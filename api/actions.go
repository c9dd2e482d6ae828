package api

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
)

// PasswordAAD binds a sealed user password to the request that carries it,
// so a ciphertext lifted from one request's history opens for no other.
func PasswordAAD(integration, requestID string) string {
	return "onelogin-user-password/" + integration + "/" + requestID
}

// ResetLinkAAD binds a sealed password reset link to the request that
// generated it.
func ResetLinkAAD(integration, requestID string) string {
	return "onelogin-reset-link/" + integration + "/" + requestID
}

// UserRef names a user the way the product knows them: exactly one of a
// OneLogin id, an email or a username.
type UserRef struct {
	ID       int64  `json:",omitempty"`
	Email    string `json:",omitempty"`
	Username string `json:",omitempty"`
}

// String is the reference as a person would type it.
func (r UserRef) String() string {
	switch {
	case r.ID != 0:
		return "user " + strconv.FormatInt(r.ID, 10)
	case r.Email != "":
		return r.Email
	}
	return r.Username
}

// Normalize trims the reference and checks that it names exactly one way to
// find a user. Wildcards are refused: OneLogin's list filters treat * and a
// leading ! as patterns, and an action must never fan out to users nobody
// named.
func (r UserRef) Normalize() (UserRef, error) {
	r.Email, r.Username = strings.TrimSpace(r.Email), strings.TrimSpace(r.Username)
	set := 0
	for _, ok := range []bool{r.ID != 0, r.Email != "", r.Username != ""} {
		if ok {
			set++
		}
	}
	switch {
	case set != 1:
		return r, errors.New("give exactly one of id, email or username")
	case r.ID < 0:
		return r, errors.New("id must be positive")
	case r.Email != "" && !strings.Contains(r.Email, "@"):
		return r, errors.New("email must contain @")
	case strings.ContainsAny(r.Email+r.Username, "*\r\n") || strings.HasPrefix(r.Email+r.Username, "!"):
		return r, errors.New("patterns (* or a leading !) are not allowed")
	}
	return r, nil
}

// Limits and defaults of action requests.
const (
	// DefaultActionParallelism is how many users a bulk action works at once.
	DefaultActionParallelism = 10
	MaxActionParallelism     = 50
	// MaxActionUsers keeps one request's history well below the point where
	// Temporal suggests continuing as new.
	MaxActionUsers = 500
)

// Onboarding's reset modes.
const (
	ResetNone  = "none"
	ResetLink  = "link"
	ResetEmail = "email"
)

// Outcomes of an action for one user, and of one onboarding or offboarding
// step (StepSkipped: not reached after an earlier step failed).
const (
	OutcomeChanged     = "changed"
	OutcomeAlreadyDone = "already_done"
	OutcomeFailed      = "failed"
	StepSkipped        = "skipped"
)

// ActionRequest starts ActivateUsers, SuspendUsers, GeneratePasswordResetLink
// and SendPasswordResetEmail, and is the common part of the other bulk
// requests.
type ActionRequest struct {
	IntegrationID string
	// RequestID is the product's idempotency key; it names the workflow
	// (ActionWorkflowID).
	RequestID   string
	RequestedBy string
	Users       []UserRef
	// Parallelism bounds how many users are worked at once (default 10, at
	// most 50).
	Parallelism int `json:",omitempty"`
}

// GroupRequest starts AddUsersToGroup, RemoveUsersFromGroup and
// CheckGroupMembership.
type GroupRequest struct {
	ActionRequest
	GroupID int64
}

// RoleRequest starts AddUsersToRole and RemoveUsersFromRole.
type RoleRequest struct {
	ActionRequest
	RoleID int64
}

// SetPasswordRequest starts SetUserPassword. The password arrives sealed
// with PasswordAAD(integration, request id) (the starter does
// this), so history never holds it in plaintext.
type SetPasswordRequest struct {
	IntegrationID string
	RequestID     string
	RequestedBy   string
	User          UserRef
	Password      seal.Sealed
}

// OnboardRequest starts OnboardUser: activate, set the group, add roles,
// then a password reset link or email, each step skipped when already true.
type OnboardRequest struct {
	IntegrationID string
	RequestID     string
	RequestedBy   string
	User          UserRef
	Activate      bool
	GroupID       int64   `json:",omitempty"`
	RoleIDs       []int64 `json:",omitempty"`
	// Reset is link (returned sealed), email (OneLogin sends it) or none.
	Reset string `json:",omitempty"`
}

// OffboardRequest starts OffboardUser: suspend, log out, remove every role
// and clear the group, as asked.
type OffboardRequest struct {
	IntegrationID string
	RequestID     string
	RequestedBy   string
	User          UserRef
	Suspend       bool
	Logout        bool
	RemoveRoles   bool
	ClearGroup    bool
}

// ActionResult is what every action workflow returns: one UserResult per
// requested user, in request order.
type ActionResult struct {
	// Action is the workflow type, so a caller can tell that a request id
	// it reused belongs to another action.
	Action        string
	IntegrationID string
	RequestID     string
	Users         []UserResult
	Changed       int
	AlreadyDone   int
	Failed        int
}

// UserResult is an action's outcome for one user.
type UserResult struct {
	User UserRef
	// UserID is the OneLogin id the reference resolved to (0 if it did not).
	UserID int64 `json:",omitempty"`
	// Outcome is changed, already_done or failed ("" while pending).
	Outcome string
	// Code and Message say why it failed; Message is OneLogin's own words
	// where OneLogin refused (a password policy, say).
	Code    errcode.Code `json:",omitempty"`
	Message string       `json:",omitempty"`
	// ReplacedGroupID is the group AddUsersToGroup (or onboarding) replaced;
	// 0 when the user had none.
	ReplacedGroupID int64 `json:",omitempty"`
	// GroupID and InGroup answer CheckGroupMembership.
	GroupID int64 `json:",omitempty"`
	InGroup bool  `json:",omitempty"`
	// ResetLink is the password reset link, sealed with
	// ResetLinkAAD(integration, request id); the starter opens it.
	ResetLink seal.Sealed `json:",omitzero"`
	// Steps are onboarding's and offboarding's steps, in order.
	Steps []StepResult `json:",omitempty"`
}

// StepResult is one step of onboarding or offboarding.
type StepResult struct {
	Step    string
	Outcome string       // changed, already_done, failed or skipped
	Code    errcode.Code `json:",omitempty"`
	Message string       `json:",omitempty"`
}

// Key returns the integration and request ids, which name the workflow
// (ActionWorkflowID). Every action request has it.
func (r ActionRequest) Key() (integration, requestID string) { return r.IntegrationID, r.RequestID }

// Key returns the integration and request ids.
func (r SetPasswordRequest) Key() (integration, requestID string) {
	return r.IntegrationID, r.RequestID
}

// Key returns the integration and request ids.
func (r OnboardRequest) Key() (integration, requestID string) { return r.IntegrationID, r.RequestID }

// Key returns the integration and request ids.
func (r OffboardRequest) Key() (integration, requestID string) { return r.IntegrationID, r.RequestID }

// normalizeHeader trims and checks what every action request starts with.
func normalizeHeader(integration, requestID, requestedBy *string) error {
	*integration, *requestID, *requestedBy = strings.TrimSpace(*integration), strings.TrimSpace(*requestID), strings.TrimSpace(*requestedBy)
	if err := ValidateIntegrationID(*integration); err != nil {
		return err
	}
	return ValidateRequestID(*requestID)
}

func normalizeRef(field string, r *UserRef) error {
	n, err := r.Normalize()
	if err != nil {
		return inputError(field, "%v", err)
	}
	*r = n
	return nil
}

// Normalize trims the request and checks every field; the error is an
// *InputError naming the field. The starter and the workflow both run it.
func (r *ActionRequest) Normalize() error {
	if err := normalizeHeader(&r.IntegrationID, &r.RequestID, &r.RequestedBy); err != nil {
		return err
	}
	switch {
	case len(r.Users) == 0:
		return inputError("users", "name at least one user")
	case len(r.Users) > MaxActionUsers:
		return inputError("users", "at most %d users per request", MaxActionUsers)
	case r.Parallelism < 0 || r.Parallelism > MaxActionParallelism:
		return inputError("parallelism", "must be between 1 and %d (0 for the default)", MaxActionParallelism)
	}
	for i := range r.Users {
		if err := normalizeRef(fmt.Sprintf("users[%d]", i), &r.Users[i]); err != nil {
			return err
		}
	}
	return nil
}

// Normalize checks the request and the group id.
func (r *GroupRequest) Normalize() error {
	if err := r.ActionRequest.Normalize(); err != nil {
		return err
	}
	if r.GroupID <= 0 {
		return inputError("group_id", "must be a OneLogin group id")
	}
	return nil
}

// Normalize checks the request and the role id.
func (r *RoleRequest) Normalize() error {
	if err := r.ActionRequest.Normalize(); err != nil {
		return err
	}
	if r.RoleID <= 0 {
		return inputError("role_id", "must be a OneLogin role id")
	}
	return nil
}

// Normalize checks the request; the password must be present (sealed).
func (r *SetPasswordRequest) Normalize() error {
	if err := normalizeHeader(&r.IntegrationID, &r.RequestID, &r.RequestedBy); err != nil {
		return err
	}
	if err := normalizeRef("user", &r.User); err != nil {
		return err
	}
	if r.Password.IsZero() {
		return inputError("password", "is empty")
	}
	return nil
}

// Normalize checks the request; onboarding must have something to do.
func (r *OnboardRequest) Normalize() error {
	if err := normalizeHeader(&r.IntegrationID, &r.RequestID, &r.RequestedBy); err != nil {
		return err
	}
	if err := normalizeRef("user", &r.User); err != nil {
		return err
	}
	r.Reset = strings.ToLower(strings.TrimSpace(r.Reset))
	if r.Reset == "" {
		r.Reset = ResetNone
	}
	switch {
	case !slices.Contains([]string{ResetNone, ResetLink, ResetEmail}, r.Reset):
		return inputError("reset", "must be link, email or none")
	case r.GroupID < 0:
		return inputError("group_id", "must be a OneLogin group id (0 for none)")
	case !r.Activate && r.GroupID == 0 && len(r.RoleIDs) == 0 && r.Reset == ResetNone:
		return inputError("steps", "onboarding needs at least one of activate, group, roles or reset")
	}
	for i, id := range r.RoleIDs {
		if id <= 0 || slices.Contains(r.RoleIDs[:i], id) {
			return inputError(fmt.Sprintf("role_ids[%d]", i), "must be a OneLogin role id, listed once")
		}
	}
	return nil
}

// Normalize checks the request; offboarding must have something to do.
func (r *OffboardRequest) Normalize() error {
	if err := normalizeHeader(&r.IntegrationID, &r.RequestID, &r.RequestedBy); err != nil {
		return err
	}
	if err := normalizeRef("user", &r.User); err != nil {
		return err
	}
	if !r.Suspend && !r.Logout && !r.RemoveRoles && !r.ClearGroup {
		return inputError("steps", "offboarding needs at least one of suspend, logout, remove roles or clear group")
	}
	return nil
}
