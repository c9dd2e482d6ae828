package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
)

// ConnectIntegration validates a credential, records the integration, runs
// the initial full sync and sets up the periodic sync. A credential an admin
// must fix fails the workflow with its code (invalid_credentials,
// insufficient_scope, subdomain_not_found, credential_owner_deleted,
// invalid_input) after recording a message that says what to do.
func ConnectIntegration(ctx workflow.Context, req api.ConnectRequest) (api.ConnectResult, error) {
	w := &connectWorkflow{req: req}
	if err := w.setup(ctx); err != nil {
		return api.ConnectResult{}, err
	}
	return w.run(ctx)
}

type connectWorkflow struct {
	req   api.ConnectRequest
	cred  activities.Credential
	log   log.Logger
	start time.Time
}

func (w *connectWorkflow) setup(ctx workflow.Context) error {
	if err := api.ValidateIntegrationID(w.req.IntegrationID); err != nil {
		return refuse(err)
	}
	if w.req.ClientSecret.IsZero() {
		return invalidInput("client_secret", "is empty")
	}
	if w.req.SyncInterval == 0 {
		w.req.SyncInterval = api.DefaultSyncInterval
	}
	if w.req.SyncInterval < time.Minute {
		return invalidInput("sync_interval", "must be at least a minute")
	}
	w.cred = activities.Credential{Subdomain: w.req.Subdomain, Region: w.req.Region, ClientID: w.req.ClientID, ClientSecret: w.req.ClientSecret}
	w.log = log.With(workflow.GetLogger(ctx), "integration", w.req.IntegrationID)
	w.start = workflow.Now(ctx)
	return workflow.UpsertTypedSearchAttributes(ctx, api.IntegrationAttribute.ValueSet(w.req.IntegrationID))
}

func (w *connectWorkflow) run(ctx workflow.Context) (api.ConnectResult, error) {
	w.details(ctx, "**Validating** the OneLogin credential for "+w.req.Subdomain)
	validateCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// The admin is waiting: transient trouble is retried for a while, not forever.
		StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy: retryPolicy(30 * time.Second), Summary: "validate the OneLogin credential",
	})
	var v activities.ValidateResult
	if err := workflow.ExecuteActivity(validateCtx, a.ValidateCredential, activities.ValidateInput{
		IntegrationID: w.req.IntegrationID, Credential: w.cred,
	}).Get(ctx, &v); err != nil {
		return api.ConnectResult{}, w.refused(ctx, err)
	}
	w.log.Info("credential valid", "scope", v.Scope, "account", v.AccountID)
	w.details(ctx, "**Credential valid**: "+activities.ScopeWords(v.Scope)+" scope  \nrecording the integration, then the first full sync")

	if err := workflow.ExecuteActivity(shortActivity(ctx, "record the integration"), a.SaveIntegration, activities.SaveInput{
		IntegrationID: w.req.IntegrationID, Credential: w.cred, Scope: v.Scope,
		Status: directory.StatusConnecting, Message: "Connected; the first sync is running.",
	}).Get(ctx, nil); err != nil {
		return api.ConnectResult{}, err
	}

	sync, err := w.initialSync(ctx)
	if err != nil {
		return api.ConnectResult{}, w.syncFailed(ctx, err)
	}

	w.details(ctx, "**First sync done**: "+thousands(int64(sync.Users().Items))+" users  \nsetting up the periodic sync")
	sched, err := w.ensureSchedule(ctx)
	if err != nil {
		return api.ConnectResult{}, err
	}
	if workflow.GetVersion(ctx, changeStartEvents, workflow.DefaultVersion, 1) >= 1 {
		startEvents(ctx, w.req.IntegrationID)
	}

	msg := fmt.Sprintf("Connected with %s scope. First sync read %s users, %s groups, %s roles and %s apps.",
		activities.ScopeWords(v.Scope), thousands(int64(sync.Users().Items)), thousands(int64(sync.Kind(api.KindGroups).Items)),
		thousands(int64(sync.Kind(api.KindRoles).Items)), thousands(int64(sync.Kind(api.KindApps).Items)))
	if nd := notDone(v.Scope); nd != "" {
		msg += " Limited scope: " + nd + "."
	}
	w.details(ctx, "**Connected**  \n"+msg)
	if err := w.setIntegrationStatus(ctx, directory.StatusConnected, msg); err != nil {
		return api.ConnectResult{}, err
	}
	return api.ConnectResult{IntegrationID: w.req.IntegrationID, Scope: v.Scope, CanAct: v.CanAct, AccountID: v.AccountID,
		Subdomain: v.Subdomain, Sync: sync, ScheduleID: api.ScheduleID(w.req.IntegrationID), ScheduleCreated: sched.Created,
		Duration: workflow.Now(ctx).Sub(w.start), DurationSeconds: seconds(workflow.Now(ctx).Sub(w.start))}, nil
}

// refused records why a credential failed and fails with its code. Other
// failures (retries exhausted on a transient error) fail as they are.
func (w *connectWorkflow) refused(ctx workflow.Context, err error) error {
	code := errcode.Of(err)
	if temporal.IsCanceledError(err) {
		return err
	}
	if !isConnectFailure(code) {
		// Retries ran out on a transient failure: say so plainly (the
		// activity error's wrapping names the worker's pid and host).
		msg := "OneLogin could not be reached to check the credential (" + string(codeOr(code)) + "): " +
			strings.TrimSuffix(failureMessage(err), ".") + ". Nothing was saved; connect again later."
		w.details(ctx, "**Not connected: "+string(codeOr(code))+"**  \n"+msg)
		return temporal.NewNonRetryableApplicationError(msg, string(codeOr(code)), err)
	}
	// insufficient_scope names the scope the credential has.
	var scope activities.ScopeDetails
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.HasDetails() {
		_ = ae.Details(&scope)
	}
	var msg string
	if rerr := workflow.ExecuteActivity(shortActivity(ctx, "record why the credential was refused"), a.RecordConnectFailure,
		activities.ConnectFailure{IntegrationID: w.req.IntegrationID, Credential: w.cred, Code: code, Scope: scope.Scope}).Get(ctx, &msg); rerr != nil {
		w.log.Error("could not record the connect failure", "error", rerr)
		msg = activities.StatusMessage(code, scope.Scope, w.req.Subdomain)
	}
	w.log.Warn("credential refused", "code", code, "scope", scope.Scope)
	w.details(ctx, "**Refused: "+string(code)+"**  \n"+msg)
	return fail(code, msg)
}

func (w *connectWorkflow) initialSync(ctx workflow.Context) (api.SyncResult, error) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            api.InitialSyncWorkflowID(w.req.IntegrationID),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(api.IntegrationAttribute.ValueSet(w.req.IntegrationID)),
		StaticSummary:         "Initial full sync of " + w.req.IntegrationID,
		// Metadata only: not part of the command's shape, so not gated.
		StaticDetails: "The first **full** sync of `" + w.req.IntegrationID + "`, started by its connect: " +
			"every user, group, role and app.",
	})
	live := workflow.GetVersion(ctx, changeLiveProgress, workflow.DefaultVersion, 1) == 1
	child := workflow.ExecuteChildWorkflow(cctx, api.SyncWorkflow, api.SyncRequest{IntegrationID: w.req.IntegrationID, Mode: api.ModeFull})
	if live {
		w.follow(ctx, child)
	}
	var res api.SyncResult
	err := child.Get(ctx, &res)
	return res, err
}

// follow shows the first sync's live progress in this workflow's Current
// Details until it ends, waking as SyncDirectory does.
func (w *connectWorkflow) follow(ctx workflow.Context, child workflow.ChildWorkflowFuture) {
	w.details(ctx, "**First sync starting**  \nfull read of users, groups, roles and apps")
	tctx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	sel := workflow.NewSelector(ctx)
	done, pending := false, false
	sel.AddFuture(child, func(workflow.Future) { done = true })
	for {
		if !pending {
			sel.AddFuture(workflow.NewTimer(tctx, liveInterval(workflow.Now(ctx).Sub(w.start))), func(workflow.Future) { pending = false })
			pending = true
		}
		sel.Select(ctx)
		if done {
			return
		}
		started := child.GetChildWorkflowExecution()
		var exe workflow.Execution
		if !started.IsReady() || started.Get(ctx, &exe) != nil {
			continue // not started yet, or never: child.Get says why
		}
		r, ok := readLive(ctx, activities.LiveInput{IntegrationID: w.req.IntegrationID, WorkflowID: exe.ID, RunID: exe.RunID, Query: true})
		if ok && r.Progress != nil {
			p := *r.Progress
			totals := map[string]int{}
			applyLive(&p, totals, r)
			w.details(ctx, "**First sync**: "+renderProgress(p, totals))
		}
	}
}

// details sets this workflow's Current Details (no history event).
func (w *connectWorkflow) details(ctx workflow.Context, md string) {
	workflow.SetCurrentDetails(ctx, md)
}

// syncFailed keeps the admin informed when the credential validated but the
// first sync did not finish, then fails with the sync's code.
func (w *connectWorkflow) syncFailed(ctx workflow.Context, err error) error {
	code := errcode.Of(err)
	status, msg := directory.StatusConnecting, "The first sync did not finish ("+string(codeOr(code))+"): "+strings.TrimSuffix(failureMessage(err), ".")+". Then connect again."
	if isConnectFailure(code) && code != errcode.InvalidInput {
		status, _ = activities.StatusOfCode(code)
		msg = activities.StatusMessage(code, "", w.req.Subdomain)
	}
	w.details(ctx, "**First sync failed: "+string(codeOr(code))+"**  \n"+msg)
	if serr := w.setIntegrationStatus(ctx, status, msg); serr != nil {
		w.log.Error("could not record the sync failure", "error", serr)
	}
	return fail(codeOr(code), msg)
}

func (w *connectWorkflow) setIntegrationStatus(ctx workflow.Context, status directory.IntegrationStatus, msg string) error {
	return workflow.ExecuteActivity(shortActivity(ctx, "record the integration status"), a.SetIntegrationStatus,
		activities.StatusInput{IntegrationID: w.req.IntegrationID, Status: status, Message: msg}).Get(ctx, nil)
}

func (w *connectWorkflow) ensureSchedule(ctx workflow.Context) (activities.ScheduleResult, error) {
	arg, err := json.Marshal(api.SyncRequest{IntegrationID: w.req.IntegrationID, Mode: api.ModeIncremental})
	if err != nil {
		return activities.ScheduleResult{}, err
	}
	var res activities.ScheduleResult
	err = workflow.ExecuteActivity(shortActivity(ctx, "create or update the periodic sync"), a.EnsureSchedule, activities.ScheduleInput{
		ScheduleID: api.ScheduleID(w.req.IntegrationID), IntegrationID: w.req.IntegrationID,
		Interval: w.req.SyncInterval, CatchupWindow: api.DefaultCatchupWindow,
		WorkflowType: api.SyncWorkflow, WorkflowID: api.SyncWorkflowID(w.req.IntegrationID), TaskQueue: workflow.GetInfo(ctx).TaskQueueName,
		Arg:      arg,
		Keywords: map[string]string{api.IntegrationAttribute.GetName(): w.req.IntegrationID},
		Note:     byWhom("Connected", w.req.RequestedBy),
	}).Get(ctx, &res)
	return res, err
}

func byWhom(what, who string) string {
	if who = strings.TrimSpace(who); who == "" {
		return what + "."
	}
	return what + " by " + who + "."
}

func codeOr(code errcode.Code) errcode.Code {
	if code == "" {
		return errcode.ServerError
	}
	return code
}

// DisconnectIntegration deletes the periodic sync, cancels the
// integration's runs in flight, revokes the token and marks the
// integration disconnected. Synced data stays for the product to
// keep or purge.
func DisconnectIntegration(ctx workflow.Context, req api.DisconnectRequest) error {
	if err := api.ValidateIntegrationID(req.IntegrationID); err != nil {
		return refuse(err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, api.IntegrationAttribute.ValueSet(req.IntegrationID)); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, changeStopEvents, workflow.DefaultVersion, 1) >= 1 {
		if err := stopEvents(ctx, req.IntegrationID); err != nil {
			return err
		}
	}
	if err := workflow.ExecuteActivity(shortActivity(ctx, "delete the periodic sync"), a.DeleteSchedule,
		api.ScheduleID(req.IntegrationID)).Get(ctx, nil); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, changeDisconnectCancelsRuns, workflow.DefaultVersion, 1) == 1 {
		in := activities.CancelRunsInput{IntegrationID: req.IntegrationID, Except: workflow.GetInfo(ctx).WorkflowExecution.ID}
		if err := workflow.ExecuteActivity(shortActivity(ctx, "cancel the integration's runs in flight"), a.CancelRuns,
			in).Get(ctx, nil); err != nil {
			return err
		}
	}
	if err := workflow.ExecuteActivity(shortActivity(ctx, "revoke the OneLogin token"), a.RevokeToken,
		req.IntegrationID).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteActivity(shortActivity(ctx, "mark the integration disconnected"), a.SetIntegrationStatus,
		activities.StatusInput{IntegrationID: req.IntegrationID, Status: directory.StatusDisconnected,
			Message: byWhom("Disconnected", req.RequestedBy)}).Get(ctx, nil)
}
