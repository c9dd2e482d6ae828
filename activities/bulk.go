package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// The bulk engine: ResolveActionTargets records the users a request's
// targets name, RunActionChunk works a slice of them with bounded
// parallelism and records each user's outcome in the store, and
// CountActionOutcomes totals them. Workflow history keeps counts only.

// Steps of the bulk engine, one per bulk action.
const (
	StepActivate    = "activate"
	StepSuspend     = "suspend"
	StepSetGroup    = "set_group"
	StepRemoveGroup = "remove_group"
	StepCheckGroup  = "check_group"
	StepAddRole     = "add_role"
	StepRemoveRole  = "remove_role"
	StepResetLink   = "reset_link"
	StepResetEmail  = "reset_email"
)

// ResolveTargetsInput names a request's targets.
type ResolveTargetsInput struct {
	IntegrationID string
	RequestID     string
	// Action is the outcomes' action name: a request id that already
	// records another action's outcomes is refused (conflict).
	Action   string        `json:",omitempty"`
	Users    []api.UserRef `json:",omitempty"`
	GroupIDs []int64       `json:",omitempty"`
	RoleIDs  []int64       `json:",omitempty"`
	Exclude  []api.UserRef `json:",omitempty"`
}

// ResolveTargetsResult is the size of the recorded set and the explicit
// users that named nobody (they are not in the set).
type ResolveTargetsResult struct {
	Total int
	// Reused: the set was recorded by an earlier attempt or run of the
	// request, and OneLogin was not asked again.
	Reused     bool                `json:",omitempty"`
	Unresolved []UnresolvedUserRef `json:",omitempty"`
	// Resolved is the OneLogin id of each explicit user, in request order
	// (0: unresolved), when they are at most api.MaxResultUsers, so a
	// small request's result names each user as the request did.
	Resolved []int64 `json:",omitempty"`
}

// UnresolvedUserRef is an explicit user that names no OneLogin user.
type UnresolvedUserRef struct {
	Index   int // in the request's Users
	Code    errcode.Code
	Message string
}

// ResolveActionTargets resolves the request's users, groups and roles to
// OneLogin user ids, once per request: explicit ids are taken as given (the
// chunk reads each user anyway), emails and usernames are looked up, group
// and role members are read from OneLogin now (the store may be stale), and
// the exclusions are taken out. A group or role that does not exist fails
// the request with not_found before any user is touched.
func (a *Activities) ResolveActionTargets(ctx context.Context, in ResolveTargetsInput) (ResolveTargetsResult, error) {
	if in.Action != "" {
		// A rerun resumes only the same action: the recorded set and
		// outcomes belong to the request's first action.
		prior, err := a.Store.ListOutcomes(ctx, in.IntegrationID, in.RequestID, directory.OutcomeFilter{Limit: 1})
		if err != nil {
			return ResolveTargetsResult{}, appError(err)
		}
		if len(prior) > 0 && prior[0].Action != in.Action {
			return ResolveTargetsResult{}, failure(errcode.Conflict, fmt.Sprintf(
				"request id %s already ran %s; every request needs its own id", in.RequestID, prior[0].Action))
		}
	}
	if n, err := a.Store.PutActionTargets(ctx, in.IntegrationID, in.RequestID, nil); err != nil {
		return ResolveTargetsResult{}, appError(err)
	} else if n > 0 {
		return ResolveTargetsResult{Total: n, Reused: true}, nil
	}
	c, err := a.client(ctx, in.IntegrationID)
	if err != nil {
		return ResolveTargetsResult{}, err
	}
	excluded := map[int64]bool{}
	for i, ref := range in.Exclude {
		u, err := a.resolveID(ctx, c, in.IntegrationID, ref)
		if err != nil {
			return ResolveTargetsResult{}, failure(codeOrServer(err), fmt.Sprintf("exclude[%d] (%s): %s", i, ref, messageOf(err)))
		}
		excluded[u] = true
	}
	var (
		res  ResolveTargetsResult
		ids  []int64
		seen = map[int64]bool{}
	)
	add := func(id int64) {
		if !seen[id] && !excluded[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	small := len(in.Users) <= api.MaxResultUsers
	for i, ref := range in.Users {
		heartbeat(ctx, "users", i)
		id, err := a.resolveID(ctx, c, in.IntegrationID, ref)
		if err != nil {
			if code := errcode.Of(err); code == errcode.NotFound || code == errcode.Conflict || code == errcode.InvalidInput {
				res.Unresolved = append(res.Unresolved, UnresolvedUserRef{Index: i, Code: code, Message: messageOf(err)})
				id = 0
			} else {
				return ResolveTargetsResult{}, appError(err)
			}
		} else {
			add(id)
		}
		if small {
			res.Resolved = append(res.Resolved, id)
		}
	}
	for _, g := range in.GroupIDs {
		if _, err := c.GetGroup(ctx, g); err != nil {
			return ResolveTargetsResult{}, missing(err, "group", g)
		}
		n := 0
		for u, err := range c.Users(ctx, onelogin.UserQuery{GroupID: g}) {
			if err != nil {
				return ResolveTargetsResult{}, appError(err)
			}
			// OneLogin's group_id filter is trusted, but a user listed under
			// another group is not this group's member.
			if deref(u.GroupID) == g {
				add(u.ID)
			}
			if n++; n%1000 == 0 {
				heartbeat(ctx, "group", n)
			}
		}
	}
	for _, r := range in.RoleIDs {
		if _, err := c.GetRole(ctx, r); err != nil {
			return ResolveTargetsResult{}, missing(err, "role", r)
		}
		n := 0
		for u, err := range c.RoleUsers(ctx, r) {
			if err != nil {
				return ResolveTargetsResult{}, appError(err)
			}
			add(u.ID)
			if n++; n%1000 == 0 {
				heartbeat(ctx, "role", n)
			}
		}
	}
	// Another attempt may have recorded first: its set stands.
	res.Total, err = a.Store.PutActionTargets(ctx, in.IntegrationID, in.RequestID, ids)
	return res, appError(err)
}

// resolveID is the OneLogin id a reference names: an id as given, an email
// or username as OneLogin has it now.
func (a *Activities) resolveID(ctx context.Context, c *onelogin.Client, integration string, ref api.UserRef) (int64, error) {
	if ref.ID != 0 {
		return ref.ID, nil
	}
	u, err := a.resolve(ctx, c, integration, ref)
	if err != nil {
		return 0, stepError(ctx, err)
	}
	return u.ID, nil
}

// ActionChunkInput is one chunk of a bulk run: the users at positions
// [Offset, Offset+Limit) of the request's recorded set.
type ActionChunkInput struct {
	IntegrationID string
	RequestID     string
	Action        string // the audit log's name, e.g. suspend_users
	Step          string // StepSuspend and siblings
	GroupID       int64  `json:",omitempty"`
	RoleID        int64  `json:",omitempty"`
	DryRun        bool   `json:",omitempty"`
	Since         time.Time
	Chunk         int64
	Offset        int
	Limit         int
	Parallelism   int
	// Details asks for each user's result (small requests only).
	Details bool `json:",omitempty"`
}

// ActionChunkResult counts a chunk's users. Users whose outcome was
// already final (an earlier attempt or run of the request) are Resumed and
// not worked again.
type ActionChunkResult struct {
	Users       int
	Changed     int `json:",omitempty"`
	AlreadyDone int `json:",omitempty"`
	Failed      int `json:",omitempty"`
	WouldChange int `json:",omitempty"`
	Resumed     int `json:",omitempty"`
	// FailedByCode counts the failures per code.
	FailedByCode map[errcode.Code]int `json:",omitempty"`
	// Stop is set when the credential stopped working: the remaining users
	// are pointless.
	Stop        errcode.Code `json:",omitempty"`
	StopMessage string       `json:",omitempty"`
	// Results holds each worked user's result when Details was asked.
	Results []ChunkUserResult `json:",omitempty"`
	// Budget is the account's v1 rate budget after the chunk; Calls is how
	// much of it the chunk spent (0 when the window reset meanwhile).
	Budget *onelogin.RateLimit `json:",omitempty"`
	Calls  int                 `json:",omitempty"`
}

// ChunkUserResult is one user's result within a chunk.
type ChunkUserResult struct {
	UserID int64
	UserStepResult
	Code    errcode.Code `json:",omitempty"`
	Message string       `json:",omitempty"`
}

// stepFunc is a bulk step's per-user work.
func (a *Activities) stepFunc(step string) (func(context.Context, UserStepInput) (UserStepResult, error), error) {
	switch step {
	case StepActivate:
		return a.ActivateUser, nil
	case StepSuspend:
		return a.SuspendUser, nil
	case StepSetGroup:
		return a.SetUserGroup, nil
	case StepRemoveGroup:
		return a.RemoveUserFromGroup, nil
	case StepCheckGroup:
		return a.CheckUserGroup, nil
	case StepAddRole:
		return a.AddUserToRole, nil
	case StepRemoveRole:
		return a.RemoveUserFromRole, nil
	case StepResetLink:
		return a.GenerateResetLink, nil
	case StepResetEmail:
		return a.SendResetEmail, nil
	}
	return nil, failure(errcode.InvalidInput, "unknown bulk step "+step)
}

// predict is a dry run's per-user work: read the user and say what the step
// would do, without writing anything (not even the store).
func (a *Activities) predict(step string) func(context.Context, UserStepInput) (UserStepResult, error) {
	return func(ctx context.Context, in UserStepInput) (UserStepResult, error) {
		return a.runStep(ctx, in, func(_ context.Context, s *userStep) (UserStepResult, error) {
			u := s.user
			var change bool
			switch step {
			case StepActivate:
				change = u.Status != onelogin.StatusActive
			case StepSuspend:
				change = u.Status != onelogin.StatusSuspended
			case StepSetGroup:
				change = deref(u.GroupID) != in.GroupID
			case StepRemoveGroup:
				g := deref(u.GroupID)
				change = g != 0 && (in.GroupID == 0 || g == in.GroupID)
			case StepCheckGroup:
				g := deref(u.GroupID)
				return UserStepResult{Outcome: api.OutcomeAlreadyDone, GroupID: g, InGroup: g != 0 && g == in.GroupID}, nil
			case StepAddRole, StepRemoveRole:
				change = slices.Contains(u.RoleIDs, in.RoleID) != (step == StepAddRole)
			case StepResetLink, StepResetEmail:
				if err := s.needEmail(); err != nil {
					return UserStepResult{}, err
				}
				change = true
			}
			if change {
				return UserStepResult{Outcome: string(directory.OutcomeWouldChange)}, nil
			}
			return UserStepResult{Outcome: api.OutcomeAlreadyDone}, nil
		})
	}
}

// RunActionChunk works one chunk: users with a final outcome for the
// request are skipped (the resume rule: a retry or a rerun never acts twice
// on a user), the rest are worked at most Parallelism at a time, and every
// outcome is recorded in the store. Transient trouble with a user fails the
// chunk after the others are recorded, so Temporal retries it and the retry
// works only that user. On cancellation no new user starts; the users in
// flight finish and are recorded, then the chunk reports the cancellation.
func (a *Activities) RunActionChunk(ctx context.Context, in ActionChunkInput) (ActionChunkResult, error) {
	if in.Limit <= 0 || in.Offset < 0 {
		return ActionChunkResult{}, failure(errcode.InvalidInput, "chunk bounds")
	}
	work, err := a.stepFunc(in.Step)
	if err != nil {
		return ActionChunkResult{}, err
	}
	if in.DryRun {
		work = a.predict(in.Step)
	}
	ids, err := a.Store.ActionTargets(ctx, in.IntegrationID, in.RequestID, in.Offset, in.Limit)
	if err != nil {
		return ActionChunkResult{}, appError(err)
	}
	final, err := a.Store.FinalOutcomes(ctx, in.IntegrationID, in.RequestID, ids)
	if err != nil {
		return ActionChunkResult{}, appError(err)
	}
	c, err := a.client(ctx, in.IntegrationID)
	if err != nil {
		return ActionChunkResult{}, err
	}
	before, seenBefore := c.RateLimit()
	res := ActionChunkResult{Users: len(ids)}
	var (
		mu        sync.Mutex
		outcomes  []directory.UserOutcome
		transient error
	)
	// In-flight users finish even when the chunk is cancelled: a write
	// OneLogin accepted must be recorded.
	keep := context.WithoutCancel(ctx)
	g := errgroup.Group{}
	g.SetLimit(max(1, in.Parallelism))
	for i, id := range ids {
		if _, done := slices.BinarySearch(final, id); done {
			res.Resumed++
			continue
		}
		if ctx.Err() != nil {
			break
		}
		mu.Lock()
		stop := res.Stop != ""
		mu.Unlock()
		if stop {
			break
		}
		heartbeat(ctx, "user", in.Offset+i)
		g.Go(func() error {
			step := UserStepInput{IntegrationID: in.IntegrationID, RequestID: in.RequestID, User: api.UserRef{ID: id},
				Since: in.Since, GroupID: in.GroupID, RoleID: in.RoleID}
			r, err := work(keep, step)
			mu.Lock()
			defer mu.Unlock()
			o := directory.UserOutcome{UserID: id, Outcome: directory.Outcome(r.Outcome)}
			var ae *temporal.ApplicationError
			switch {
			case err == nil:
			case errors.As(err, &ae) && ae.NonRetryable():
				code := codeOrServer(err)
				o = directory.UserOutcome{UserID: id, Outcome: directory.OutcomeFailed, ErrorCode: string(code), Message: ae.Message()}
				if code.CredentialProblem() && res.Stop == "" {
					res.Stop, res.StopMessage = code, ae.Message()
				}
			default:
				if transient == nil {
					transient = err
				}
				return nil
			}
			switch o.Outcome {
			case directory.OutcomeChanged:
				res.Changed++
			case directory.OutcomeAlreadyDone:
				res.AlreadyDone++
			case directory.OutcomeWouldChange:
				res.WouldChange++
			default:
				res.Failed++
				if res.FailedByCode == nil {
					res.FailedByCode = map[errcode.Code]int{}
				}
				res.FailedByCode[errcode.Code(o.ErrorCode)]++
			}
			outcomes = append(outcomes, o)
			if in.Details {
				r.Outcome = string(o.Outcome)
				res.Results = append(res.Results, ChunkUserResult{UserID: id, UserStepResult: r,
					Code: errcode.Code(o.ErrorCode), Message: o.Message})
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines report through res
	if in.Details && res.Resumed > 0 {
		if err := a.resumedResults(keep, in, final, ids, &res); err != nil {
			return ActionChunkResult{}, err
		}
	}
	if _, err := a.Store.RecordOutcomes(keep, directory.OutcomeBatch{IntegrationID: in.IntegrationID,
		RequestID: in.RequestID, Action: in.Action, Chunk: in.Chunk, Outcomes: outcomes}); err != nil {
		return ActionChunkResult{}, appError(err)
	}
	if after, ok := c.RateLimit(); ok {
		res.Budget = &after
		if seenBefore && after.Limit == before.Limit && after.Remaining <= before.Remaining {
			res.Calls = before.Remaining - after.Remaining
		}
	}
	switch {
	case ctx.Err() != nil:
		return res, ctx.Err()
	case transient != nil:
		return res, appError(transient)
	}
	return res, nil
}

// resumedResults lists, for a small request's result, the users an earlier
// attempt or run finished, with the outcome it recorded. Small requests
// have at most api.MaxResultUsers users: one page holds them all.
func (a *Activities) resumedResults(ctx context.Context, in ActionChunkInput, final, ids []int64, res *ActionChunkResult) error {
	stored, err := a.Store.ListOutcomes(ctx, in.IntegrationID, in.RequestID, directory.OutcomeFilter{Limit: api.MaxResultUsers})
	if err != nil {
		return appError(err)
	}
	for _, o := range stored {
		if _, done := slices.BinarySearch(final, o.UserID); done && slices.Contains(ids, o.UserID) {
			res.Results = append(res.Results, ChunkUserResult{UserID: o.UserID, UserStepResult: UserStepResult{Outcome: string(o.Outcome)}})
		}
	}
	return nil
}

// OutcomeCountsInput names a request.
type OutcomeCountsInput struct {
	IntegrationID string
	RequestID     string
}

// CountActionOutcomes counts the request's recorded outcomes: the totals of
// every chunk, attempt and run of the request.
func (a *Activities) CountActionOutcomes(ctx context.Context, in OutcomeCountsInput) (directory.OutcomeCounts, error) {
	c, err := a.Store.CountOutcomes(ctx, in.IntegrationID, in.RequestID)
	return c, appError(err)
}

func heartbeat(ctx context.Context, what string, n int) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, what+" "+fmt.Sprint(n))
	}
}

// codeOrServer is err's code, server_error when it has none.
func codeOrServer(err error) errcode.Code {
	if c := errcode.Of(err); c != "" {
		return c
	}
	return errcode.ServerError
}

// messageOf is an error's own message without Temporal's wrapping.
func messageOf(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Message()
	}
	return strings.TrimSpace(err.Error())
}
