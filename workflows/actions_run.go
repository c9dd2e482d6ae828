package workflows

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
)

// AuditAction is the audit log's name for an action workflow: its type in
// snake case, e.g. suspend_users.
func AuditAction(workflowType string) string {
	var b strings.Builder
	for i, r := range workflowType {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// actionWorkflow is one run of an action over its users: the bulk actions
// and onboarding/offboarding share it.
type actionWorkflow struct {
	req         api.ActionRequest
	log         log.Logger
	since       time.Time
	parallelism int
	result      api.ActionResult
	finished    int
	// auditAs names the action in the audit log when not its type's name
	// (a dry run).
	auditAs string
	// stop is the first failure that makes the remaining users pointless
	// (the credential stopped working); users not yet started get it.
	stop *api.UserResult
	// localSteps runs BeginAction, the user's steps and RecordAction as
	// local activities (onboarding and offboarding under changeLocalSteps).
	localSteps bool
}

// bulkStep is a bulk action's one activity per user.
type bulkStep struct {
	verb string // for summaries: "suspend jane@acme.com"
	fn   any
	// check is what BeginAction verifies exists before any user is worked.
	check activities.BeginActionInput
	// with adds the action's parameters to each user's input.
	with func(*activities.UserStepInput)
	// exists is what must exist in OneLogin (the action's group or role)
	// under changeBulkEngine, so an action on a group or role that does not
	// exist is not_found before any user is touched.
	exists activities.BeginActionInput
	// engine is the bulk engine's step (activities.StepSuspend and
	// siblings); "" for actions that never use it.
	engine string
	// again rebuilds the workflow's own request around the next run's
	// ActionRequest, for continue-as-new.
	again func(api.ActionRequest) any
}

// runBulk runs one activity per user, in parallel up to the request's
// bound. The request must be normalised.
func runBulk(ctx workflow.Context, name string, req api.ActionRequest, step bulkStep) (api.ActionResult, error) {
	// Runs started before the bulk engine worked one activity per user
	// and did not check the group or role of a removal or a membership
	// check; they keep that path.
	if workflow.GetVersion(ctx, changeBulkEngine, workflow.DefaultVersion, 1) == 1 {
		if step.exists.GroupID != 0 || len(step.exists.RoleIDs) > 0 {
			step.check = step.exists
		}
		if step.engine != "" {
			return runEngine(ctx, name, req, step)
		}
	}
	w := &actionWorkflow{req: req}
	if err := w.setup(ctx, name); err != nil {
		return api.ActionResult{}, err
	}
	if _, err := w.begin(ctx, step.check); err != nil {
		return api.ActionResult{}, err
	}
	err := w.forEachUser(ctx, func(ctx workflow.Context, ref api.UserRef) api.UserResult {
		in := w.stepInput(ref)
		if step.with != nil {
			step.with(&in)
		}
		var r activities.UserStepResult
		err := workflow.ExecuteActivity(userStepOptions(ctx, step.verb+" "+ref.String()), step.fn, in).Get(ctx, &r)
		if err != nil {
			return failedUser(ref, err)
		}
		return api.UserResult{User: ref, UserID: r.UserID, Outcome: r.Outcome, ReplacedGroupID: r.PreviousGroupID,
			GroupID: r.GroupID, InGroup: r.InGroup, ResetLink: r.ResetLink}
	})
	if err != nil {
		return api.ActionResult{}, w.interrupted(ctx, err)
	}
	return w.finish(ctx)
}

// interrupted records in the audit log what a cancelled action already did,
// then returns the cancellation: users it changed must stay auditable.
func (w *actionWorkflow) interrupted(ctx workflow.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	// Runs cancelled on builds before the audit-on-cancel change closed
	// without this activity; they must keep replaying.
	if workflow.GetVersion(dctx, changeAuditOnCancel, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return err
	}
	if _, aerr := w.finish(dctx); aerr != nil {
		w.log.Error("the cancelled action could not be audited", "error", aerr)
	}
	return err
}

// userStepOptions: a step is one to three OneLogin calls. Transient trouble
// retries with backoff, and a 429 waits for the reset OneLogin announced,
// which may be most of an hour away; the schedule-to-close bound covers one
// full rate window and then gives up on the user.
func userStepOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, userStepOpts(summary))
}

func userStepOpts(summary string) workflow.ActivityOptions {
	return minuteOptions(2*time.Hour, summary)
}

// call runs one activity of the run with opts: as a local activity when
// the run's steps are local (changeLocalSteps), so that a whole onboarding
// is one workflow task instead of a trip through the server per step (each
// trip costs most when the server and the worker are busiest). A step
// keeps its own retries and its own result in history (a marker), so a
// retry still resumes at the failed step; a wait longer than the workflow
// task timeout (a 429's reset) becomes a server timer.
func (w *actionWorkflow) call(ctx workflow.Context, opts workflow.ActivityOptions, fn, in any) workflow.Future {
	if w.localSteps {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			ScheduleToCloseTimeout: opts.ScheduleToCloseTimeout, StartToCloseTimeout: opts.StartToCloseTimeout,
			RetryPolicy: opts.RetryPolicy, Summary: opts.Summary,
		}), fn, in)
	}
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), fn, in)
}

func (w *actionWorkflow) setup(ctx workflow.Context, name string) error {
	w.log = log.With(workflow.GetLogger(ctx), "integration", w.req.IntegrationID, "request", w.req.RequestID, "action", name)
	w.since = workflow.GetInfo(ctx).WorkflowStartTime
	w.parallelism = w.req.Parallelism
	if w.parallelism == 0 {
		w.parallelism = api.DefaultActionParallelism
	}
	w.result = api.ActionResult{Action: name, IntegrationID: w.req.IntegrationID, RequestID: w.req.RequestID,
		Users: make([]api.UserResult, len(w.req.Users))}
	for i, ref := range w.req.Users {
		w.result.Users[i].User = ref
	}
	if err := workflow.SetQueryHandler(ctx, api.ProgressQuery, func() (api.ActionResult, error) { return w.result, nil }); err != nil {
		return err
	}
	w.details(ctx)
	return workflow.UpsertTypedSearchAttributes(ctx, api.IntegrationAttribute.ValueSet(w.req.IntegrationID))
}

// begin refuses, before any OneLogin call, an integration that may not act
// (insufficient_scope and the like), then checks the named group and roles.
func (w *actionWorkflow) begin(ctx workflow.Context, check activities.BeginActionInput) (activities.BeginActionResult, error) {
	check.IntegrationID = w.req.IntegrationID
	var res activities.BeginActionResult
	// Checking a group spends v1 budget: like a user step, it may wait for
	// the reset OneLogin announced, which can be most of an hour away.
	err := w.call(ctx, userStepOpts("check the integration may act"), a.BeginAction, check).Get(ctx, &res)
	if err != nil {
		w.log.Warn("action refused", "code", errcode.Of(err))
		w.markOutcome(ctx, api.ActionOutcomeFailed)
		return res, fail(codeOr(errcode.Of(err)), errorMessage(err))
	}
	return res, nil
}

func (w *actionWorkflow) stepInput(ref api.UserRef) activities.UserStepInput {
	return activities.UserStepInput{IntegrationID: w.req.IntegrationID, RequestID: w.req.RequestID, User: ref, Since: w.since}
}

// forEachUser runs work for every requested user, at most parallelism at
// a time, and keeps the results in request order. A user named twice is
// worked once: two steps racing on one user could both report a change.
func (w *actionWorkflow) forEachUser(ctx workflow.Context, work func(workflow.Context, api.UserRef) api.UserResult) error {
	sem := workflow.NewSemaphore(ctx, int64(w.parallelism))
	first := map[api.UserRef]int{}
	var repeats [][2]int // {position, position of the first mention}
	running := 0
	for i, ref := range w.req.Users {
		key := api.UserRef{ID: ref.ID, Email: strings.ToLower(ref.Email), Username: strings.ToLower(ref.Username)}
		if j, seen := first[key]; seen {
			repeats = append(repeats, [2]int{i, j})
			continue
		}
		first[key] = i
		if err := sem.Acquire(ctx, 1); err != nil {
			return err
		}
		if w.stop != nil {
			sem.Release(1)
			w.set(ctx, i, api.UserResult{User: ref, Outcome: api.OutcomeFailed, Code: w.stop.Code,
				Message: "not attempted: " + w.stop.Message})
			continue
		}
		running++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer sem.Release(1)
			r := work(ctx, ref)
			running--
			if r.Outcome == api.OutcomeFailed && r.Code.CredentialProblem() && w.stop == nil {
				w.log.Warn("the credential stopped working; the remaining users are not attempted", "code", r.Code)
				w.stop = &r
			}
			w.set(ctx, i, r)
		})
	}
	if err := workflow.Await(ctx, func() bool { return running == 0 }); err != nil {
		return err
	}
	for _, p := range repeats {
		r := w.result.Users[p[1]]
		r.User = w.req.Users[p[0]]
		w.set(ctx, p[0], r)
	}
	return nil
}

// set records one user's result and shows progress.
func (w *actionWorkflow) set(ctx workflow.Context, i int, r api.UserResult) {
	w.result.Users[i] = r
	w.finished++
	switch r.Outcome {
	case api.OutcomeChanged:
		w.result.Changed++
	case api.OutcomeAlreadyDone:
		w.result.AlreadyDone++
	default:
		w.result.Failed++
	}
	w.details(ctx)
}

// detailRows bounds the per-user table in the UI; the progress query has
// every user.
const detailRows = 20

// details shows progress in the UI as markdown: counts and the first users.
func (w *actionWorkflow) details(ctx workflow.Context) {
	var b strings.Builder
	r := w.result
	fmt.Fprintf(&b, "**%s** on `%s`, request `%s`%s: %d of %d users done (changed %d, already done %d, failed %d)\n\n",
		r.Action, r.IntegrationID, r.RequestID, byWhomSuffix(w.req.RequestedBy), w.finished, len(r.Users),
		r.Changed, r.AlreadyDone, r.Failed)
	b.WriteString("| user | OneLogin id | outcome | code |\n|---|---|---|---|\n")
	for _, u := range r.Users[:min(len(r.Users), detailRows)] {
		outcome := u.Outcome
		if outcome == "" {
			outcome = "pending"
		}
		id := "…" // not resolved yet
		if u.UserID != 0 {
			id = strconv.FormatInt(u.UserID, 10)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", u.User, id, outcome, u.Code)
	}
	if n := len(r.Users) - detailRows; n > 0 {
		fmt.Fprintf(&b, "\n… and %d more (query `%s` for all)", n, api.ProgressQuery)
	}
	workflow.SetCurrentDetails(ctx, b.String())
}

// resolved shows a user's OneLogin id in the details as soon as it is
// known, while the user's steps still run.
func (w *actionWorkflow) resolved(ctx workflow.Context, ref api.UserRef, id int64) {
	for i := range w.result.Users {
		if u := &w.result.Users[i]; u.User == ref && u.Outcome == "" && u.UserID == 0 {
			u.UserID = id
			w.details(ctx)
			return
		}
	}
}

func byWhomSuffix(who string) string {
	if who == "" {
		return ""
	}
	return " by " + who
}

// finish appends one audit entry with every user's outcome and returns the
// result. The store keeps one entry per request id and action, so a retried
// append adds nothing.
func (w *actionWorkflow) finish(ctx workflow.Context) (api.ActionResult, error) {
	targets := make([]directory.AuditTarget, 0, len(w.result.Users))
	for _, u := range w.result.Users {
		if u.Outcome == "" {
			continue // not reached: the action was cancelled first
		}
		t := directory.AuditTarget{UserID: u.UserID, Outcome: directory.Outcome(u.Outcome)}
		if u.Outcome == api.OutcomeFailed {
			t.ErrorCode = string(u.Code)
		}
		targets = append(targets, t)
	}
	err := w.call(ctx, shortOptions("record the action in the audit log"), a.RecordAction, activities.AuditInput{
		IntegrationID: w.req.IntegrationID, RequestID: w.req.RequestID, Actor: w.req.RequestedBy,
		Action: cmp.Or(w.auditAs, AuditAction(w.result.Action)), Targets: targets,
	}).Get(ctx, nil)
	if err != nil {
		// OneLogin has changed: the result goes with the failure so the
		// caller still learns what happened to each user.
		return w.result, temporal.NewNonRetryableApplicationError("the action ran but the audit log could not record it: "+errorMessage(err),
			string(codeOr(errcode.Of(err))), err, w.result)
	}
	w.log.Info("action finished", "changed", w.result.Changed, "already_done", w.result.AlreadyDone, "failed", w.result.Failed)
	w.markOutcome(ctx, api.OutcomeOf(w.result.Changed+w.result.AlreadyDone+w.result.WouldChange, w.result.Failed))
	return w.result, nil
}

// markOutcome sets OneLoginActionOutcome, so a run in which a user failed
// is found by one visibility query, and puts it in the result. Runs from
// before changeActionOutcome closed without it.
func (w *actionWorkflow) markOutcome(ctx workflow.Context, outcome string) {
	if workflow.GetVersion(ctx, changeActionOutcome, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	w.result.Outcome = outcome
	if err := workflow.UpsertTypedSearchAttributes(ctx, api.ActionOutcomeAttribute.ValueSet(outcome)); err != nil {
		w.log.Error("the outcome search attribute could not be set", "error", err)
	}
}

// failedUser is a user whose step failed for good: a code a retry cannot
// fix, or transient trouble that outlasted the retries.
func failedUser(ref api.UserRef, err error) api.UserResult {
	r := api.UserResult{User: ref, Outcome: api.OutcomeFailed, Code: codeOr(errcode.Of(err)), Message: errorMessage(err)}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.HasDetails() {
		var d activities.UserStepResult
		if ae.Details(&d) == nil {
			r.UserID = d.UserID
		}
	}
	return r
}

// errorMessage is an activity failure's own message, without the
// "activity error (type: ..., scheduledEventID: ...)" wrapping.
func errorMessage(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Message()
	}
	return err.Error()
}
