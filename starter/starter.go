// Package starter is the typed Go API the product backend uses to start and
// follow olflow's workflows. Workflow IDs and ID policies are built in, so a
// repeated request joins the run already going instead of starting another.
package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/tenant"
)

// Starter starts olflow workflows.
type Starter struct {
	Client client.Client
	// Keys seal client secrets before they enter a workflow; the workers
	// need the same keys to open them.
	Keys *seal.Keyring
	// TaskQueue defaults to api.TaskQueue.
	TaskQueue string
	// Archive, when set, answers ActionResult for actions Temporal no
	// longer retains (ops.AuditArchive reads the audit log).
	Archive Archive
	// DataConverter reads the memos the client wrote: set the client's own
	// (Dial does). Without it, an encrypted request digest cannot be read
	// and a reused request id is checked against the action only.
	DataConverter converter.DataConverter
}

// Error is a request refused before anything started. Code is
// invalid_input; Field names the input.
type Error struct {
	Code    errcode.Code
	Field   string
	Message string
}

func (e *Error) Error() string {
	return "olflow: " + string(e.Code) + ": " + e.Field + ": " + e.Message
}

// ErrorCode makes errcode.Of read the code: errcode.Of(err) is the code of
// any error this package returns, a refusal at the edge or the code a
// workflow failed with.
func (e *Error) ErrorCode() errcode.Code { return e.Code }

// Message is the human message of any error this package returns: what a
// refused input needs, or the message a workflow failed with (which says
// what the admin should do), without Temporal's wrapping.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var se *Error
	if errors.As(err, &se) {
		return se.Field + " " + se.Message
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.Message() != "" {
		return ae.Message()
	}
	return err.Error()
}

// Refuse is an invalid_input refusal naming the field.
func Refuse(field, msg string) error {
	return &Error{Code: errcode.InvalidInput, Field: field, Message: msg}
}

func (s *Starter) taskQueue() string {
	if s.TaskQueue != "" {
		return s.TaskQueue
	}
	return api.TaskQueue
}

// options are the start options every olflow workflow uses: a duplicate
// start while a run is open returns that run; after it closes, a new one may
// start.
func (s *Starter) options(id, integration, summary, details string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		StaticDetails:            details,
		ID:                       id,
		TaskQueue:                s.taskQueue(),
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(api.IntegrationAttribute.ValueSet(integration)),
		StaticSummary:            summary,
	}
}

// ConnectInput is what an admin entered. The secret is plaintext here and
// sealed before it leaves this process.
type ConnectInput struct {
	IntegrationID string
	Subdomain     string
	Region        string
	ClientID      string
	ClientSecret  seal.Secret
	RequestedBy   string
	// SyncInterval is the periodic sync interval (default 15m).
	SyncInterval time.Duration
}

// StartConnect checks the input, seals the secret and starts
// ConnectIntegration. A connect already running for the integration is
// returned instead (it keeps the credential it started with).
func (s *Starter) StartConnect(ctx context.Context, in ConnectInput) (*Run[api.ConnectResult], error) {
	id := strings.TrimSpace(in.IntegrationID)
	if err := api.ValidateIntegrationID(id); err != nil {
		return nil, Refuse("integration_id", "must be 1-128 letters, digits or . _ : @ -")
	}
	sub, err := tenant.NormalizeSubdomain(in.Subdomain)
	if err != nil {
		return nil, Refuse("subdomain", "must be the tenant name, like acme or acme.onelogin.com")
	}
	region, err := tenant.NormalizeRegion(in.Region)
	if err != nil {
		return nil, Refuse("region", "must be us or eu")
	}
	clientID := strings.TrimSpace(in.ClientID)
	if clientID == "" {
		return nil, Refuse("client_id", "is empty")
	}
	secret := strings.TrimSpace(in.ClientSecret.Reveal())
	if secret == "" {
		return nil, Refuse("client_secret", "is empty")
	}
	if in.SyncInterval != 0 && in.SyncInterval < time.Minute {
		return nil, Refuse("sync_interval", "must be at least a minute")
	}
	if s.Keys.NewestID() == "" {
		return nil, errNoSealKeys
	}
	sealed, err := s.Keys.Seal(seal.NewSecret(secret), api.ClientSecretAAD(id))
	if err != nil {
		return nil, fmt.Errorf("olflow: seal the client secret: %w", err)
	}
	req := api.ConnectRequest{IntegrationID: id, Subdomain: sub, Region: string(region), ClientID: clientID,
		ClientSecret: sealed, RequestedBy: strings.TrimSpace(in.RequestedBy), SyncInterval: in.SyncInterval}
	return start[api.ConnectResult](ctx, s, s.options(api.ConnectWorkflowID(id), id, "Connect OneLogin "+sub+" for "+id,
		connectDetails(req)), api.ConnectWorkflow, req)
}

// Connect starts (or joins) a connect and waits for its result.
func (s *Starter) Connect(ctx context.Context, in ConnectInput) (api.ConnectResult, error) {
	run, err := s.StartConnect(ctx, in)
	if err != nil {
		return api.ConnectResult{}, err
	}
	return run.Get(ctx)
}

// start starts (or joins) a workflow whose result is T.
func start[T any](ctx context.Context, s *Starter, opts client.StartWorkflowOptions, workflowType string, arg any) (*Run[T], error) {
	run, err := s.Client.ExecuteWorkflow(ctx, opts, workflowType, arg)
	if err != nil {
		return nil, err
	}
	return runOf[T](run), nil
}

// runOf types an SDK run's result.
func runOf[T any](run client.WorkflowRun) *Run[T] {
	return &Run[T]{id: run.GetID(), runID: run.GetRunID(), get: func(ctx context.Context) (T, error) {
		var res T
		err := run.Get(ctx, &res)
		return res, err
	}}
}

// StartSync starts an on-demand SyncDirectory, or returns the one running
// for the integration (scheduled or on demand). Mode "" is incremental.
func (s *Starter) StartSync(ctx context.Context, req api.SyncRequest) (*Run[api.SyncResult], error) {
	req.IntegrationID, req.Mode = strings.TrimSpace(req.IntegrationID), strings.ToLower(strings.TrimSpace(req.Mode))
	if err := api.ValidateIntegrationID(req.IntegrationID); err != nil {
		return nil, refusal(err)
	}
	switch req.Mode {
	case "":
		req.Mode = api.ModeIncremental
	case api.ModeIncremental, api.ModeFull:
	default:
		return nil, Refuse("mode", "must be full or incremental")
	}
	if run, ok := s.runningSync(ctx, req.IntegrationID); ok {
		return run, nil
	}
	return start[api.SyncResult](ctx, s, s.options(api.SyncWorkflowID(req.IntegrationID), req.IntegrationID,
		"On-demand "+req.Mode+" sync of "+req.IntegrationID,
		syncDetails(req)),
		api.SyncWorkflow, req)
}

// runningSync finds a sync of the integration already running (scheduled,
// initial or on demand): one sync per integration at a time. Visibility
// may lag a second behind a start; the sync itself backs off from another
// one it finds running (its result is then skipped).
func (s *Starter) runningSync(ctx context.Context, integration string) (*Run[api.SyncResult], bool) {
	page, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 1,
		Query: fmt.Sprintf("%s = '%s' AND WorkflowType = '%s' AND ExecutionStatus = 'Running'",
			api.IntegrationAttribute.GetName(), integration, api.SyncWorkflow)})
	if err != nil || len(page.GetExecutions()) == 0 {
		return nil, false
	}
	ex := page.GetExecutions()[0].GetExecution()
	return runOf[api.SyncResult](s.Client.GetWorkflow(ctx, ex.GetWorkflowId(), ex.GetRunId())), true
}

// Sync starts (or joins) an on-demand sync and waits for its result.
func (s *Starter) Sync(ctx context.Context, req api.SyncRequest) (api.SyncResult, error) {
	run, err := s.StartSync(ctx, req)
	if err != nil {
		return api.SyncResult{}, err
	}
	return run.Get(ctx)
}

// Disconnect deletes the periodic sync, revokes the token and marks the
// integration disconnected, and waits for it.
func (s *Starter) Disconnect(ctx context.Context, req api.DisconnectRequest) error {
	req.IntegrationID = strings.TrimSpace(req.IntegrationID)
	if err := api.ValidateIntegrationID(req.IntegrationID); err != nil {
		return refusal(err)
	}
	run, err := start[struct{}](ctx, s, s.options(api.DisconnectWorkflowID(req.IntegrationID), req.IntegrationID,
		"Disconnect "+req.IntegrationID,
		"Disconnect `"+req.IntegrationID+"`"+by(req.RequestedBy)+": delete the periodic sync, revoke the token; synced data stays."),
		api.DisconnectWorkflow, req)
	if err != nil {
		return err
	}
	_, err = run.Get(ctx)
	return err
}

// connectDetails is a connect's static details in the UI: what was asked,
// never the secret.
func connectDetails(req api.ConnectRequest) string {
	interval := req.SyncInterval
	if interval == 0 {
		interval = api.DefaultSyncInterval
	}
	region := req.Region
	if region == "" {
		region = "us"
	}
	return fmt.Sprintf("Connect OneLogin **%s** (region %s, client id `%s`) as `%s`%s; then a full sync and a periodic sync every %s.",
		req.Subdomain, region, req.ClientID, req.IntegrationID, by(req.RequestedBy), every(interval))
}

func syncDetails(req api.SyncRequest) string {
	what := "users updated since the last sync, and every group, role and app"
	if req.Mode == api.ModeFull {
		what = "every user, group, role and app; deletions only after a complete read"
	}
	return fmt.Sprintf("On-demand **%s** sync of `%s`: reads %s.", req.Mode, req.IntegrationID, what)
}

// every writes an interval as people do: 15m, 2h.
func every(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func by(who string) string {
	if who = strings.TrimSpace(who); who != "" {
		return " by " + who
	}
	return ""
}
