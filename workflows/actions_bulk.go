package workflows

import (
	"fmt"
	"math"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// The bulk engine (changeBulkEngine): targets are resolved once into the
// store, users are worked in chunk activities with bounded parallelism, each
// user's outcome goes to the store, and history keeps counts. A run
// continues as new every maxChunksPerRun chunks, so no run's history grows
// with the request.

// maxChunksPerRun bounds one run's chunks: about six events each, so a run
// stays near 600 events whatever the request's size. A variable for tests.
var maxChunksPerRun = 100

// chunkOptions: a chunk is up to MaxActionChunk users. It heartbeats per
// user; cancellation waits for the users in flight, which the chunk
// records before it reports the cancellation. A 429 waits for the reset
// OneLogin announced, so a chunk may take most of an hour's budget window.
func chunkOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Minute,
		ScheduleToCloseTimeout: 4 * time.Hour,
		HeartbeatTimeout:       20 * time.Second,
		WaitForCancellation:    true,
		RetryPolicy:            retryPolicy(time.Minute),
		Summary:                summary,
	})
}

// resolveOptions: reading a 100,000-member group is a few hundred pages.
func resolveOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Minute,
		ScheduleToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:       time.Minute,
		RetryPolicy:            retryPolicy(time.Minute),
		Summary:                "resolve the targets",
	})
}

// engine is one run of the bulk engine.
type engine struct {
	*actionWorkflow
	step   bulkStep
	resume api.ActionResume
	// index finds a user's entries in result.Users (small requests only).
	index      map[int64][]int
	calls      int
	worked     int
	stopCode   errcode.Code
	stopReason string
}

// small requests list every user in the result.
func (e *engine) small() bool { return e.resume.Total <= api.MaxResultUsers }

// auditName names the action in the audit log and the outcomes table; a
// dry run's outcomes are kept apart from a real run's.
func (e *engine) auditName() string {
	if e.req.DryRun {
		return AuditAction(e.result.Action) + "_dry_run"
	}
	return AuditAction(e.result.Action)
}

func runEngine(ctx workflow.Context, name string, req api.ActionRequest, step bulkStep) (api.ActionResult, error) {
	e := &engine{actionWorkflow: &actionWorkflow{req: req}, step: step}
	e.log = log.With(workflow.GetLogger(ctx), "integration", req.IntegrationID, "request", req.RequestID, "action", name)
	e.parallelism = req.Parallelism
	if e.parallelism == 0 {
		e.parallelism = api.DefaultActionParallelism
	}
	if req.Resume != nil {
		e.resume = *req.Resume
		e.result = e.resume.Result
	} else {
		e.resume.Since = workflow.GetInfo(ctx).WorkflowStartTime
		e.result = api.ActionResult{Action: name, IntegrationID: req.IntegrationID, RequestID: req.RequestID, DryRun: req.DryRun}
	}
	e.since = e.resume.Since
	e.auditAs = e.auditName()
	if err := workflow.SetQueryHandler(ctx, api.ProgressQuery, func() (api.ActionResult, error) { return e.result, nil }); err != nil {
		return api.ActionResult{}, err
	}
	e.show(ctx)
	if err := workflow.UpsertTypedSearchAttributes(ctx, api.IntegrationAttribute.ValueSet(req.IntegrationID)); err != nil {
		return api.ActionResult{}, err
	}
	if req.Resume == nil {
		if _, err := e.begin(ctx, step.check); err != nil {
			return api.ActionResult{}, err
		}
		if err := e.resolve(ctx); err != nil {
			return api.ActionResult{}, err
		}
	}
	e.reindex()
	if err := e.chunks(ctx); err != nil {
		return api.ActionResult{}, err
	}
	return e.end(ctx)
}

// resolve records the targets in the store and prepares the result.
func (e *engine) resolve(ctx workflow.Context) error {
	var res activities.ResolveTargetsResult
	err := workflow.ExecuteActivity(resolveOptions(ctx), a.ResolveActionTargets, activities.ResolveTargetsInput{
		IntegrationID: e.req.IntegrationID, RequestID: e.req.RequestID, Action: e.auditName(), Users: e.req.Users,
		GroupIDs: e.req.TargetGroupIDs, RoleIDs: e.req.TargetRoleIDs, Exclude: e.req.Exclude,
	}).Get(ctx, &res)
	if err != nil {
		code := codeOr(errcode.Of(err))
		e.log.Warn("the targets could not be resolved", "code", code)
		e.markOutcome(ctx, api.ActionOutcomeFailed)
		return fail(code, errorMessage(err))
	}
	e.resume.Total = res.Total + len(res.Unresolved)
	e.resume.Unresolved = len(res.Unresolved)
	e.result.Total = e.resume.Total
	e.result.Users = nil
	unresolved := map[int]activities.UnresolvedUserRef{}
	for _, u := range res.Unresolved {
		unresolved[u.Index] = u
		e.failed(u.Code, 1)
	}
	e.result.Done = len(res.Unresolved)
	if e.small() {
		// Explicit users first, in request order; members of the target
		// groups and roles follow as their chunks report them.
		for i, ref := range e.req.Users {
			r := api.UserResult{User: ref, UserID: ref.ID}
			if i < len(res.Resolved) {
				r.UserID = res.Resolved[i]
			}
			if u, ok := unresolved[i]; ok {
				r.Outcome, r.Code, r.Message = api.OutcomeFailed, u.Code, u.Message
			}
			e.result.Users = append(e.result.Users, r)
		}
	}
	e.resume.Offset = 0
	e.show(ctx)
	return nil
}

// reindex maps user ids to their entries in result.Users.
func (e *engine) reindex() {
	e.index = map[int64][]int{}
	for i, u := range e.result.Users {
		if u.UserID != 0 {
			e.index[u.UserID] = append(e.index[u.UserID], i)
		}
	}
}

// chunks works the recorded set from the resume offset, and continues as
// new after maxChunksPerRun chunks.
func (e *engine) chunks(ctx workflow.Context) error {
	size := e.req.ChunkSize
	if size == 0 {
		size = api.DefaultActionChunk
	}
	total := e.resume.Total - e.resume.Unresolved
	base := activities.UserStepInput{}
	if e.step.with != nil {
		e.step.with(&base)
	}
	for ran := 0; e.resume.Offset < total; ran++ {
		if e.stopCode != "" {
			return nil
		}
		if ran >= maxChunksPerRun || (ran > 0 && workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
			return e.continueAsNew(ctx)
		}
		in := activities.ActionChunkInput{IntegrationID: e.req.IntegrationID, RequestID: e.req.RequestID,
			Action: e.auditName(), Step: e.step.engine, GroupID: base.GroupID, RoleID: base.RoleID, DryRun: e.req.DryRun,
			Since: e.since, Chunk: e.resume.Chunk, Offset: e.resume.Offset, Limit: size, Parallelism: e.parallelism,
			Details: e.small()}
		summary := fmt.Sprintf("%s users %d-%d of %d", e.step.verb, in.Offset+1, min(in.Offset+size, total), total)
		var res activities.ActionChunkResult
		err := workflow.ExecuteActivity(chunkOptions(ctx, summary), a.RunActionChunk, in).Get(ctx, &res)
		if err != nil {
			if ctx.Err() != nil {
				return e.cancelled(ctx, err)
			}
			// Outlasted its retries: the chunk's finished users are in the
			// store; the rest of the request is not attempted.
			e.stopCode, e.stopReason = codeOr(errcode.Of(err)), errorMessage(err)
			e.log.Error("a chunk failed; the remaining users are not attempted", "code", e.stopCode)
			return nil
		}
		e.absorb(ctx, res)
		if res.Stop != "" {
			e.stopCode, e.stopReason = res.Stop, res.StopMessage
			e.log.Warn("the credential stopped working; the remaining users are not attempted", "code", res.Stop)
		}
		e.resume.Offset += size
		e.resume.Chunk++
		e.show(ctx)
	}
	return nil
}

// failed counts n failures with code.
func (e *engine) failed(code errcode.Code, n int) {
	e.result.Failed += n
	if e.result.FailedByCode == nil {
		e.result.FailedByCode = map[errcode.Code]int{}
	}
	e.result.FailedByCode[code] += n
}

// absorb adds a chunk's counts and, for small requests, its users.
func (e *engine) absorb(ctx workflow.Context, res activities.ActionChunkResult) {
	e.result.Changed += res.Changed
	e.result.AlreadyDone += res.AlreadyDone
	e.result.WouldChange += res.WouldChange
	e.result.Done += res.Users
	for code, n := range res.FailedByCode {
		e.failed(code, n)
	}
	for _, r := range res.Results {
		u := api.UserResult{UserID: r.UserID, Outcome: r.Outcome, Code: r.Code, Message: r.Message,
			ReplacedGroupID: r.PreviousGroupID, GroupID: r.GroupID, InGroup: r.InGroup, ResetLink: r.ResetLink}
		at := e.index[r.UserID]
		if len(at) == 0 {
			u.User = api.UserRef{ID: r.UserID}
			e.index[r.UserID] = []int{len(e.result.Users)}
			e.result.Users = append(e.result.Users, u)
			continue
		}
		for _, i := range at {
			u.User = e.result.Users[i].User
			e.result.Users[i] = u
		}
	}
	worked := res.Users - res.Resumed
	if res.Budget != nil && worked > 0 {
		e.calls += res.Calls
		e.worked += worked
		e.estimate(ctx, *res.Budget)
	}
}

// estimate says how long the rest takes when the account's v1 budget, not
// the work itself, is the bottleneck.
func (e *engine) estimate(ctx workflow.Context, rl onelogin.RateLimit) {
	perUser := float64(e.calls) / float64(e.worked)
	b := &api.ActionBudget{Limit: rl.Limit, Remaining: rl.Remaining, ResetAt: rl.ObservedAt.Add(rl.Reset),
		CallsPerUser: math.Round(perUser*100) / 100}
	rest := float64(e.resume.Total - e.result.Done)
	need := rest * perUser
	if rl.Limit > 0 && need > float64(rl.Remaining) {
		windows := math.Ceil((need - float64(rl.Remaining)) / float64(rl.Limit))
		wait := b.ResetAt.Sub(workflow.Now(ctx)) + time.Duration(windows-1)*time.Hour
		b.RestSeconds = int64(max(wait, 0) / time.Second)
		b.RestTakes = fmt.Sprintf("about %s at %d calls/hour", max(wait, 0).Round(time.Minute), rl.Limit)
	}
	e.result.Budget = b
}

// continueAsNew carries the progress into a fresh run; the targets stay in
// the store, so the next run's input holds no user list.
func (e *engine) continueAsNew(ctx workflow.Context) error {
	e.resume.Result = e.result
	next := e.req
	next.Users, next.Exclude, next.TargetGroupIDs, next.TargetRoleIDs = nil, nil, nil, nil
	resume := e.resume
	next.Resume = &resume
	e.log.Info("continuing as new", "offset", e.resume.Offset, "total", e.resume.Total)
	return workflow.NewContinueAsNewError(ctx, e.result.Action, e.step.again(next))
}

// end totals the outcomes from the store (every chunk, attempt and run of
// the request), audits and returns the result.
func (e *engine) end(ctx workflow.Context) (api.ActionResult, error) {
	var c directory.OutcomeCounts
	err := workflow.ExecuteActivity(shortActivity(ctx, "count the outcomes"), a.CountActionOutcomes,
		activities.OutcomeCountsInput{IntegrationID: e.req.IntegrationID, RequestID: e.req.RequestID}).Get(ctx, &c)
	if err != nil {
		return e.result, temporal.NewNonRetryableApplicationError("the action ran but its outcomes could not be counted: "+
			errorMessage(err), string(codeOr(errcode.Of(err))), err, e.result)
	}
	unresolved := e.resume.Unresolved
	e.result.Changed, e.result.AlreadyDone = int(c.Changed), int(c.AlreadyDone)
	e.result.WouldChange, e.result.Failed = int(c.WouldChange), int(c.Failed)+unresolved
	if e.stopCode != "" {
		if missed := e.resume.Total - unresolved - int(c.Total()); missed > 0 {
			e.failed(e.stopCode, missed)
		}
	}
	e.result.Done = e.result.Changed + e.result.AlreadyDone + e.result.WouldChange + e.result.Failed
	for i, u := range e.result.Users {
		if u.Outcome == "" && e.stopCode != "" {
			e.result.Users[i].Outcome, e.result.Users[i].Code = api.OutcomeFailed, e.stopCode
			e.result.Users[i].Message = "not attempted: " + e.stopReason
		}
	}
	if !e.small() {
		e.result.Users, e.result.UsersOmitted = nil, true
	}
	e.show(ctx)
	return e.finish(ctx)
}

// cancelled totals and audits what a cancelled run did (the chunk in
// flight recorded its finished users first), then returns the cancellation.
func (e *engine) cancelled(ctx workflow.Context, err error) error {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	if _, aerr := e.end(dctx); aerr != nil {
		e.log.Error("the cancelled action could not be audited", "error", aerr)
	}
	return err
}

// show puts live counts in the UI's Current Details: the counts line first,
// then the budget when it bounds the run.
func (e *engine) show(ctx workflow.Context) {
	r := e.result
	var b strings.Builder
	verb := "done"
	if r.DryRun {
		verb = "checked (dry run)"
	}
	fmt.Fprintf(&b, "**%d of %d users %s**: changed %d, already done %d, failed %d", r.Done, r.Total, verb,
		r.Changed, r.AlreadyDone, r.Failed)
	if r.DryRun {
		fmt.Fprintf(&b, ", would change %d", r.WouldChange)
	}
	fmt.Fprintf(&b, "\n\n%s on `%s`, request `%s`%s", r.Action, r.IntegrationID, r.RequestID, byWhomSuffix(e.req.RequestedBy))
	if r.Budget != nil && r.Budget.RestTakes != "" {
		fmt.Fprintf(&b, "\n\nrate budget %d of %d left; the rest takes %s", r.Budget.Remaining, r.Budget.Limit, r.Budget.RestTakes)
	}
	if e.stopCode != "" {
		fmt.Fprintf(&b, "\n\nstopped (%s): %s", e.stopCode, e.stopReason)
	}
	workflow.SetCurrentDetails(ctx, b.String())
}
