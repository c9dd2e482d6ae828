package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
)

// Request is any action workflow's request: api.ActionRequest,
// GroupRequest, RoleRequest, SetPasswordRequest, OnboardRequest or
// OffboardRequest, passed by pointer.
type Request interface {
	Normalize() error
	Key() (integration, requestID string)
}

// ActionResult is a finished action: the workflow's result, with any
// password reset links opened for the caller.
type ActionResult struct {
	api.ActionResult
	// Links holds the opened reset link of Users[i] at index i
	// (GeneratePasswordResetLink, OnboardUser with reset link); a zero
	// Secret where there is none; nil when no user has one. A link lets
	// anyone set the user's password for 24 hours: Reveal it only to hand it
	// to the person who needs it. It prints as [REDACTED].
	Links []seal.Secret
}

// StartAction checks req and starts the action workflow named
// workflowType, with the ID api.ActionWorkflowID(integration, request
// id). The request id is the idempotency key: while a run for it is open
// the start joins that run, and once it has closed the start returns that
// run, so a repeated request returns the first run's result and never acts
// again (for as long as the namespace retains the closed run).
func (s *Starter) StartAction(ctx context.Context, workflowType string, req Request) (client.WorkflowRun, error) {
	if err := req.Normalize(); err != nil {
		return nil, refusal(err)
	}
	integration, requestID := req.Key()
	id := api.ActionWorkflowID(integration, requestID)
	opts := s.options(id, integration, workflowType+" on "+integration+", request "+requestID)
	opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
	opts.WorkflowExecutionErrorWhenAlreadyStarted = true
	run, err := s.Client.ExecuteWorkflow(ctx, opts, workflowType, req)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return s.Client.GetWorkflow(ctx, id, ""), nil
	}
	return run, err
}

// act starts (or finds) the action and waits for its result.
// Act starts (or joins) the action workflowType with req, waits for it and
// opens the reset links in its result. The typed methods below call it.
func (s *Starter) Act(ctx context.Context, workflowType string, req Request) (ActionResult, error) {
	run, err := s.StartAction(ctx, workflowType, req)
	if err != nil {
		return ActionResult{}, err
	}
	var res ActionResult
	if err := run.Get(ctx, &res.ActionResult); err != nil {
		return ActionResult{}, err
	}
	if res.Action != workflowType {
		return ActionResult{}, &Error{Code: errcode.InvalidInput, Field: "request_id",
			Message: "already used for a " + res.Action + " request; every request needs its own id"}
	}
	return res, s.openLinks(&res)
}

// openLinks opens the sealed reset links with the starter's keys (the
// workers' keys).
func (s *Starter) openLinks(res *ActionResult) error {
	for i, u := range res.Users {
		if u.ResetLink.IsZero() {
			continue
		}
		link, err := s.Keys.Open(u.ResetLink, api.ResetLinkAAD(res.IntegrationID, res.RequestID))
		if err != nil {
			return fmt.Errorf("olflow: open the reset link of %s: %w", u.User, err)
		}
		if res.Links == nil {
			res.Links = make([]seal.Secret, len(res.Users))
		}
		res.Links[i] = link
	}
	return nil
}

// refusal turns a request's validation error into an *Error.
func refusal(err error) error {
	var ie *api.InputError
	if errors.As(err, &ie) {
		return Refuse(ie.Field, ie.Message)
	}
	return Refuse("request", err.Error())
}

// ActivateUsers sets each user's status to active and waits for the result.
func (s *Starter) ActivateUsers(ctx context.Context, req api.ActionRequest) (ActionResult, error) {
	return s.Act(ctx, api.ActivateUsersWorkflow, &req)
}

// SuspendUsers sets each user's status to suspended.
func (s *Starter) SuspendUsers(ctx context.Context, req api.ActionRequest) (ActionResult, error) {
	return s.Act(ctx, api.SuspendUsersWorkflow, &req)
}

// AddUsersToGroup moves each user into the group, replacing their current
// group (UserResult.ReplacedGroupID).
func (s *Starter) AddUsersToGroup(ctx context.Context, req api.GroupRequest) (ActionResult, error) {
	return s.Act(ctx, api.AddUsersToGroupWorkflow, &req)
}

// RemoveUsersFromGroup clears the group of each user who is in it.
func (s *Starter) RemoveUsersFromGroup(ctx context.Context, req api.GroupRequest) (ActionResult, error) {
	return s.Act(ctx, api.RemoveUsersFromGroupWorkflow, &req)
}

// CheckGroupMembership answers per user whether they are in the group.
func (s *Starter) CheckGroupMembership(ctx context.Context, req api.GroupRequest) (ActionResult, error) {
	return s.Act(ctx, api.CheckGroupMembershipWorkflow, &req)
}

// AddUsersToRole assigns the role to each user.
func (s *Starter) AddUsersToRole(ctx context.Context, req api.RoleRequest) (ActionResult, error) {
	return s.Act(ctx, api.AddUsersToRoleWorkflow, &req)
}

// RemoveUsersFromRole removes the role from each user.
func (s *Starter) RemoveUsersFromRole(ctx context.Context, req api.RoleRequest) (ActionResult, error) {
	return s.Act(ctx, api.RemoveUsersFromRoleWorkflow, &req)
}

// GeneratePasswordResetLink gets a reset link for each user; the links are
// in ActionResult.Links, opened.
func (s *Starter) GeneratePasswordResetLink(ctx context.Context, req api.ActionRequest) (ActionResult, error) {
	return s.Act(ctx, api.GeneratePasswordResetLinkWorkflow, &req)
}

// SendPasswordResetEmail has OneLogin email each user a reset link.
func (s *Starter) SendPasswordResetEmail(ctx context.Context, req api.ActionRequest) (ActionResult, error) {
	return s.Act(ctx, api.SendPasswordResetEmailWorkflow, &req)
}

// OnboardUser activates, sets the group, adds roles and sends or returns a
// reset link, as asked.
func (s *Starter) OnboardUser(ctx context.Context, req api.OnboardRequest) (ActionResult, error) {
	return s.Act(ctx, api.OnboardUserWorkflow, &req)
}

// OffboardUser suspends, logs out, removes roles and clears the group, as
// asked.
func (s *Starter) OffboardUser(ctx context.Context, req api.OffboardRequest) (ActionResult, error) {
	return s.Act(ctx, api.OffboardUserWorkflow, &req)
}

// SetPasswordInput asks to set one user's password. The password is
// plaintext here and sealed before it leaves this process.
type SetPasswordInput struct {
	IntegrationID string
	RequestID     string
	RequestedBy   string
	User          api.UserRef
	Password      seal.Secret
}

// SetUserPassword seals the password, bound to the integration and request,
// and sets it under OneLogin's password policy. A policy failure comes back
// as the user's result: failed, invalid_input, OneLogin's message.
func (s *Starter) SetUserPassword(ctx context.Context, in SetPasswordInput) (ActionResult, error) {
	if in.Password.IsZero() {
		return ActionResult{}, Refuse("password", "is empty")
	}
	req := api.SetPasswordRequest{IntegrationID: strings.TrimSpace(in.IntegrationID), RequestID: strings.TrimSpace(in.RequestID),
		RequestedBy: in.RequestedBy, User: in.User}
	sealed, err := s.Keys.Seal(in.Password, api.PasswordAAD(req.IntegrationID, req.RequestID))
	if err != nil {
		return ActionResult{}, fmt.Errorf("olflow: seal the password: %w", err)
	}
	req.Password = sealed
	return s.Act(ctx, api.SetUserPasswordWorkflow, &req)
}
