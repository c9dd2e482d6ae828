package api

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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
	// MaxActionUsers was the cap on users per request before the bulk
	// engine. Deprecated: requests are bounded by MaxExplicitUsers now.
	MaxActionUsers = 500
	// MaxExplicitUsers bounds the users a request names one by one: they
	// travel in the workflow input, which Temporal caps at 2 MiB. Groups
	// and roles have no such bound.
	MaxExplicitUsers = 20000
	// MaxTargets bounds the groups, roles and exclusions of one request.
	MaxTargets = 100
	// DefaultActionChunk and MaxActionChunk size the bulk engine's chunk
	// activities (users per activity).
	DefaultActionChunk = 500
	MaxActionChunk     = 2000
	// MaxResultUsers is the most users an ActionResult lists one by one;
	// a bigger request keeps counts only (UsersOmitted) and its per-user
	// outcomes are paged from the store (olflow action show).
	MaxResultUsers = 1000
)

// Values of OneLoginActionOutcome, set when an action run ends.
const (
	ActionOutcomeOK      = "ok"      // every user changed or already done
	ActionOutcomePartial = "partial" // some users failed, some did not
	ActionOutcomeFailed  = "failed"  // no user succeeded, or the action was refused
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
	// TargetGroupIDs and TargetRoleIDs add every member of these OneLogin
	// groups and roles, resolved from OneLogin when the run starts and
	// recorded, so a retry, a continue-as-new or a rerun of the request
	// works the same users.
	TargetGroupIDs []int64 `json:",omitempty"`
	TargetRoleIDs  []int64 `json:",omitempty"`
	// Exclude is left out even when a target includes them (the
	// requesting admin, say). An exclusion that names no user fails the
	// request before anyone is touched.
	Exclude []UserRef `json:",omitempty"`
	// DryRun resolves the targets and reads each user, and reports what
	// would change, what is already done and what would fail; it writes
	// nothing to OneLogin.
	DryRun bool `json:",omitempty"`
	// ChunkSize is how many users one chunk activity works (default 500).
	ChunkSize int `json:",omitempty"`
	// Resume is set by the workflow itself when it continues as new; a
	// caller leaves it nil.
	Resume *ActionResume `json:",omitempty"`
}

// ActionResume is a bulk run's progress, carried into the run it
// continues as: the targets are already resolved and recorded in the store.
type ActionResume struct {
	// Since is when the request's first run started.
	Since time.Time
	Total int
	// Unresolved counts explicit users that named nobody (failed, not in
	// the recorded set).
	Unresolved int   `json:",omitempty"`
	Offset     int   // the next position in the resolved set
	Chunk      int64 // the next chunk number
	// Result is the result so far (counts, and Users for small requests).
	Result ActionResult
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
	// Users has one entry per user in request order. A bulk-engine run
	// lists at most MaxResultUsers (explicit users first, then members of
	// the target groups and roles); beyond that Users is empty and
	// UsersOmitted is set: page the outcomes from the store.
	Users       []UserResult
	Changed     int
	AlreadyDone int
	Failed      int
	// Bulk engine only. Total is how many users the targets resolved to
	// (plus explicit users that named nobody); WouldChange counts a dry
	// run's users that a real run would change; FailedByCode counts the
	// failures per code.
	Total        int                  `json:",omitempty"`
	DryRun       bool                 `json:",omitempty"`
	WouldChange  int                  `json:",omitempty"`
	FailedByCode map[errcode.Code]int `json:",omitempty"`
	UsersOmitted bool                 `json:",omitempty"`
	// Done is how many users are finished so far (the progress query).
	Done int `json:",omitempty"`
	// Budget says, while the account's v1 rate budget is what bounds the
	// run, how long the rest will take.
	Budget *ActionBudget `json:",omitempty"`
	// Outcome is ok, partial or failed, as in OneLoginActionOutcome.
	Outcome string `json:",omitempty"`
}

// ActionBudget is the account's v1 rate budget as a bulk run last saw it.
type ActionBudget struct {
	Limit     int
	Remaining int
	ResetAt   time.Time
	// CallsPerUser is what the run has spent per user so far.
	CallsPerUser float64
	// RestSeconds estimates how long the remaining users take at this
	// budget (0 when the budget is not the bottleneck); RestTakes says it
	// for people.
	RestSeconds int64  `json:",omitempty"`
	RestTakes   string `json:",omitempty"`
}

// OutcomeOf classifies counts as OneLoginActionOutcome does.
func OutcomeOf(succeeded, failed int) string {
	switch {
	case failed == 0:
		return ActionOutcomeOK
	case succeeded > 0:
		return ActionOutcomePartial
	}
	return ActionOutcomeFailed
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
	case len(r.Users) == 0 && len(r.TargetGroupIDs) == 0 && len(r.TargetRoleIDs) == 0 && r.Resume == nil:
		return inputError("users", "name at least one user, group or role")
	case len(r.Users) > MaxExplicitUsers:
		return inputError("users", "at most %d users named one by one per request; target a group or role for more", MaxExplicitUsers)
	case r.Parallelism < 0 || r.Parallelism > MaxActionParallelism:
		return inputError("parallelism", "must be between 1 and %d (0 for the default)", MaxActionParallelism)
	case r.ChunkSize < 0 || r.ChunkSize > MaxActionChunk:
		return inputError("chunk_size", "must be between 1 and %d (0 for the default)", MaxActionChunk)
	case len(r.TargetGroupIDs)+len(r.TargetRoleIDs) > MaxTargets || len(r.Exclude) > MaxTargets:
		return inputError("targets", "at most %d groups and roles, and %d exclusions", MaxTargets, MaxTargets)
	}
	for i := range r.Users {
		if err := normalizeRef(fmt.Sprintf("users[%d]", i), &r.Users[i]); err != nil {
			return err
		}
	}
	for i := range r.Exclude {
		if err := normalizeRef(fmt.Sprintf("exclude[%d]", i), &r.Exclude[i]); err != nil {
			return err
		}
	}
	for field, ids := range map[string][]int64{"target_group_ids": r.TargetGroupIDs, "target_role_ids": r.TargetRoleIDs} {
		for i, id := range ids {
			if id <= 0 || slices.Contains(ids[:i], id) {
				return inputError(fmt.Sprintf("%s[%d]", field, i), "must be a OneLogin id, listed once")
			}
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
