package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
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

// Run is a workflow the starter started, or joined because one with the
// same ID was already running or had closed: Get waits for its result.
type Run[T any] struct {
	id, runID string
	get       func(ctx context.Context) (T, error)
}

// GetID is the run's workflow ID, for the UI, the CLI and ops.
func (r *Run[T]) GetID() string { return r.id }

// GetRunID is the run's run ID.
func (r *Run[T]) GetRunID() string { return r.runID }

// Get waits for the run's result.
func (r *Run[T]) Get(ctx context.Context) (T, error) { return r.get(ctx) }

// StartAction checks req and starts the action workflow named
// workflowType, with the ID api.ActionWorkflowID(integration, request id).
// The request id is the idempotency key, bound to the request: the run
// records RequestDigest in its memo, and a different request under the
// same id is refused with errcode.Conflict naming the id, before anything
// runs. The same request again joins the run while it is open and returns
// it once it has completed, so it returns the first run's result and never
// acts twice (for as long as the namespace retains the closed run); a run
// of it that was cancelled, terminated or failed is started again, and a
// bulk action resumes from the outcomes its earlier runs recorded. A Go
// program calls its action's typed method below; this entry point is for
// tools that choose the action at run time (the CLI, a gateway).
func (s *Starter) StartAction(ctx context.Context, workflowType string, req Request) (*Run[ActionResult], error) {
	if err := req.Normalize(); err != nil {
		return nil, refusal(err)
	}
	integration, requestID := req.Key()
	digest, err := RequestDigest(workflowType, req)
	if err != nil {
		return nil, err
	}
	id := api.ActionWorkflowID(integration, requestID)
	opts := s.options(id, integration, workflowType+" on "+integration+", request "+requestID,
		fmt.Sprintf("**%s** on `%s`, request `%s`: each user read before it is changed; outcomes per user in the result.", workflowType, integration, requestID))
	opts.TaskQueue = api.ActionTaskQueue(s.taskQueue())
	// An open run is never joined blindly (conflict policy FAIL): join
	// compares the requests first. A closed run that failed is started
	// again, once check has found it holds the same request.
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL
	opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
	opts.WorkflowExecutionErrorWhenAlreadyStarted = true
	opts.Memo = map[string]any{RequestDigestMemo: digest}
	if _, err := s.check(ctx, id, workflowType, requestID, digest); err != nil {
		return nil, err
	}
	run, err := s.Client.ExecuteWorkflow(ctx, opts, workflowType, req)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		run, err = s.join(ctx, id, workflowType, requestID, digest)
	}
	if err != nil {
		return nil, err
	}
	return &Run[ActionResult]{id: run.GetID(), runID: run.GetRunID(), get: func(ctx context.Context) (ActionResult, error) {
		var res ActionResult
		if err := run.Get(ctx, &res.ActionResult); err != nil {
			return ActionResult{}, err
		}
		if res.Action != workflowType { // a run from before join compared types
			return ActionResult{}, reused(requestID, "a "+res.Action+" request")
		}
		return res, s.openLinks(&res)
	}}, nil
}

// ActionResult finds a finished action by its integration and request id:
// from Temporal while the namespace retains the run, else from Archive
// (the audit log) when one is set. It answers not_found when neither knows
// the request, and does not wait for a run still going.
func (s *Starter) ActionResult(ctx context.Context, integration, requestID string) (ActionResult, error) {
	if err := api.ValidateIntegrationID(integration); err != nil {
		return ActionResult{}, refusal(err)
	}
	if err := api.ValidateRequestID(requestID); err != nil {
		return ActionResult{}, refusal(err)
	}
	id := api.ActionWorkflowID(integration, requestID)
	desc, err := s.Client.DescribeWorkflow(ctx, id, "")
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		if s.Archive != nil {
			res, found, err := s.Archive.ActionResult(ctx, integration, requestID)
			if err != nil || found {
				return ActionResult{ActionResult: res}, err
			}
		}
		return ActionResult{}, &Error{Code: errcode.NotFound, Field: "request_id", Message: "no action " + requestID + " on " + integration}
	case err != nil:
		return ActionResult{}, err
	case desc.RawResponse.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return ActionResult{}, &Error{Code: errcode.Conflict, Field: "request_id", Message: "action " + requestID + " is still running"}
	}
	var res ActionResult
	if err := s.Client.GetWorkflow(ctx, id, "").Get(ctx, &res.ActionResult); err != nil {
		return ActionResult{}, err
	}
	return res, s.openLinks(&res)
}

// Archive finds what an action did after Temporal no longer retains its
// run. ops.AuditArchive reads it from the audit log.
type Archive interface {
	ActionResult(ctx context.Context, integration, requestID string) (api.ActionResult, bool, error)
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

// ActivateUsers sets each user's status to active. Get the result from
// the returned Run; every action method below works the same way.
func (s *Starter) ActivateUsers(ctx context.Context, req api.ActionRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.ActivateUsersWorkflow, &req)
}

// SuspendUsers sets each user's status to suspended.
func (s *Starter) SuspendUsers(ctx context.Context, req api.ActionRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.SuspendUsersWorkflow, &req)
}

// AddUsersToGroup moves each user into the group, replacing their current
// group (UserResult.ReplacedGroupID).
func (s *Starter) AddUsersToGroup(ctx context.Context, req api.GroupRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.AddUsersToGroupWorkflow, &req)
}

// RemoveUsersFromGroup clears the group of each user who is in it.
func (s *Starter) RemoveUsersFromGroup(ctx context.Context, req api.GroupRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.RemoveUsersFromGroupWorkflow, &req)
}

// CheckGroupMembership answers per user whether they are in the group.
func (s *Starter) CheckGroupMembership(ctx context.Context, req api.GroupRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.CheckGroupMembershipWorkflow, &req)
}

// AddUsersToRole assigns the role to each user.
func (s *Starter) AddUsersToRole(ctx context.Context, req api.RoleRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.AddUsersToRoleWorkflow, &req)
}

// RemoveUsersFromRole removes the role from each user.
func (s *Starter) RemoveUsersFromRole(ctx context.Context, req api.RoleRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.RemoveUsersFromRoleWorkflow, &req)
}

// GeneratePasswordResetLink gets a reset link for each user; the links are
// in ActionResult.Links, opened.
func (s *Starter) GeneratePasswordResetLink(ctx context.Context, req api.ActionRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.GeneratePasswordResetLinkWorkflow, &req)
}

// SendPasswordResetEmail has OneLogin email each user a reset link.
func (s *Starter) SendPasswordResetEmail(ctx context.Context, req api.ActionRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.SendPasswordResetEmailWorkflow, &req)
}

// OnboardUser activates, sets the group, adds roles and sends or returns a
// reset link, as asked.
func (s *Starter) OnboardUser(ctx context.Context, req api.OnboardRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.OnboardUserWorkflow, &req)
}

// OffboardUser suspends, logs out, removes roles and clears the group, as
// asked.
func (s *Starter) OffboardUser(ctx context.Context, req api.OffboardRequest) (*Run[ActionResult], error) {
	return s.StartAction(ctx, api.OffboardUserWorkflow, &req)
}

// MaxPasswordLength is the longest password SetUserPassword takes, in
// characters. OneLogin documents no maximum (its policies set a minimum);
// 128 is above any policy people type and keeps a mistake such as a whole
// file passed as the password from reaching OneLogin or Temporal.
const MaxPasswordLength = 128

// CheckPassword refuses, as invalid_input on the field password, a
// password that is empty, longer than MaxPasswordLength, not UTF-8 or holds
// control characters (a line break inside is a second line of a file, not
// part of a password). It never changes the password: what passes is sent
// byte for byte.
func CheckPassword(p seal.Secret) error {
	v := p.Reveal()
	switch {
	case v == "":
		return Refuse("password", "is empty")
	case !utf8.ValidString(v):
		return Refuse("password", "is not UTF-8 text")
	case utf8.RuneCountInString(v) > MaxPasswordLength:
		return Refuse("password", fmt.Sprintf("is longer than %d characters", MaxPasswordLength))
	case strings.ContainsFunc(v, unicode.IsControl):
		return Refuse("password", "holds a control character (a line break or tab, say)")
	}
	return nil
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
func (s *Starter) SetUserPassword(ctx context.Context, in SetPasswordInput) (*Run[ActionResult], error) {
	if err := CheckPassword(in.Password); err != nil {
		return nil, err
	}
	req := api.SetPasswordRequest{IntegrationID: strings.TrimSpace(in.IntegrationID), RequestID: strings.TrimSpace(in.RequestID),
		RequestedBy: in.RequestedBy, User: in.User}
	sealed, err := s.Keys.Seal(in.Password, api.PasswordAAD(req.IntegrationID, req.RequestID))
	if err != nil {
		return nil, fmt.Errorf("olflow: seal the password: %w", err)
	}
	req.Password = sealed
	return s.StartAction(ctx, api.SetUserPasswordWorkflow, &req)
}
