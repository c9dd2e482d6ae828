package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
)

// UserRef names a user: exactly one of a OneLogin id, an email or a
// username. Emails and usernames resolve through the synced directory and
// fall back to a OneLogin lookup.
type UserRef = activities.UserRef

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
	OutcomeChanged     = activities.OutcomeChanged
	OutcomeAlreadyDone = activities.OutcomeAlreadyDone
	OutcomeFailed      = activities.OutcomeFailed
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
// with activities.PasswordAAD(integration, request id) (the starter does
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
	// activities.ResetLinkAAD(integration, request id); the starter opens it.
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

// InputError is a request refused for one field.
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Message }

func inputError(field, format string, args ...any) error {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
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
	if ValidateIntegrationID(*integration) != nil {
		return inputError("integration_id", "must be 1-128 letters, digits or . _ : @ -, starting with a letter or digit")
	}
	if ValidateRequestID(*requestID) != nil {
		return inputError("request_id", "must be 1-128 letters, digits or . _ : @ -, starting with a letter or digit")
	}
	return nil
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

// actionWorkflows maps each action's stable type name to its function, for
// Register.
var actionWorkflows = map[string]any{
	ActivateUsersWorkflow:             ActivateUsers,
	SuspendUsersWorkflow:              SuspendUsers,
	AddUsersToGroupWorkflow:           AddUsersToGroup,
	RemoveUsersFromGroupWorkflow:      RemoveUsersFromGroup,
	AddUsersToRoleWorkflow:            AddUsersToRole,
	RemoveUsersFromRoleWorkflow:       RemoveUsersFromRole,
	CheckGroupMembershipWorkflow:      CheckGroupMembership,
	GeneratePasswordResetLinkWorkflow: GeneratePasswordResetLink,
	SendPasswordResetEmailWorkflow:    SendPasswordResetEmail,
	SetUserPasswordWorkflow:           SetUserPassword,
	OnboardUserWorkflow:               OnboardUser,
	OffboardUserWorkflow:              OffboardUser,
}

// ActivateUsers sets each user's status to active.
func ActivateUsers(ctx workflow.Context, req ActionRequest) (ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, ActivateUsersWorkflow, req, bulkStep{verb: "activate", fn: a.ActivateUser})
}

// SuspendUsers sets each user's status to suspended.
func SuspendUsers(ctx workflow.Context, req ActionRequest) (ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, SuspendUsersWorkflow, req, bulkStep{verb: "suspend", fn: a.SuspendUser})
}

// AddUsersToGroup moves each user into the group. A OneLogin user has one
// group, so this replaces the current one; ReplacedGroupID says which.
func AddUsersToGroup(ctx workflow.Context, req GroupRequest) (ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, AddUsersToGroupWorkflow, req.ActionRequest, bulkStep{verb: "move to the group",
		fn: a.SetUserGroup, check: activities.BeginActionInput{GroupID: req.GroupID},
		with: func(in *activities.UserStepInput) { in.GroupID = req.GroupID }})
}

// RemoveUsersFromGroup clears the group of each user who is in it; users
// in another group or none are already_done.
func RemoveUsersFromGroup(ctx workflow.Context, req GroupRequest) (ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, RemoveUsersFromGroupWorkflow, req.ActionRequest, bulkStep{verb: "remove from the group",
		fn: a.RemoveUserFromGroup, with: func(in *activities.UserStepInput) { in.GroupID = req.GroupID }})
}

// CheckGroupMembership answers, per user, whether they are in the group
// (InGroup) and which group they are in (GroupID). It changes nothing; each
// answered user is already_done.
func CheckGroupMembership(ctx workflow.Context, req GroupRequest) (ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, CheckGroupMembershipWorkflow, req.ActionRequest, bulkStep{verb: "check the group of",
		fn: a.CheckUserGroup, with: func(in *activities.UserStepInput) { in.GroupID = req.GroupID }})
}

// AddUsersToRole assigns the role to each user.
func AddUsersToRole(ctx workflow.Context, req RoleRequest) (ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, AddUsersToRoleWorkflow, req.ActionRequest, bulkStep{verb: "add the role to",
		fn: a.AddUserToRole, check: activities.BeginActionInput{RoleIDs: []int64{req.RoleID}},
		with: func(in *activities.UserStepInput) { in.RoleID = req.RoleID }})
}

// RemoveUsersFromRole removes the role from each user who has it.
func RemoveUsersFromRole(ctx workflow.Context, req RoleRequest) (ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, RemoveUsersFromRoleWorkflow, req.ActionRequest, bulkStep{verb: "remove the role from",
		fn: a.RemoveUserFromRole, with: func(in *activities.UserStepInput) { in.RoleID = req.RoleID }})
}

// GeneratePasswordResetLink gets a password reset link for each user (no
// email is sent). Each link is returned sealed and is never logged.
func GeneratePasswordResetLink(ctx workflow.Context, req ActionRequest) (ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, GeneratePasswordResetLinkWorkflow, req, bulkStep{verb: "get a reset link for", fn: a.GenerateResetLink})
}

// SendPasswordResetEmail has OneLogin email each user a password reset link.
func SendPasswordResetEmail(ctx workflow.Context, req ActionRequest) (ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, SendPasswordResetEmailWorkflow, req, bulkStep{verb: "email a reset link to", fn: a.SendResetEmail})
}

// SetUserPassword sets one user's password under OneLogin's password
// policy; a policy failure is invalid_input with OneLogin's message.
func SetUserPassword(ctx workflow.Context, req SetPasswordRequest) (ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	one := ActionRequest{IntegrationID: req.IntegrationID, RequestID: req.RequestID, RequestedBy: req.RequestedBy, Users: []UserRef{req.User}}
	return runBulk(ctx, SetUserPasswordWorkflow, one, bulkStep{verb: "set the password of",
		fn: a.SetPassword, with: func(in *activities.UserStepInput) { in.Password = req.Password }})
}

// refused fails a workflow whose request does not validate.
func refused(err error) (ActionResult, error) {
	var ie *InputError
	if errors.As(err, &ie) {
		return ActionResult{}, invalidInput(ie.Field, ie.Message)
	}
	return ActionResult{}, invalidInput("request", err.Error())
}
