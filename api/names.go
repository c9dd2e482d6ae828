// Package api is olflow's contract: workflow type names, IDs and their
// inverses, the task queue, search attributes, and every request and
// result type a caller sends or reads. It imports neither the store, nor
// OneLogin, nor the worker, so the product backend and the workflows share
// it without pulling either in.
package api

import (
	"regexp"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// TaskQueue is where olflow's workers listen.
const TaskQueue = "olflow"

// ActionTaskQueue is the queue action workflows (and so their activities)
// run on, beside base (TaskQueue, or a deployment's own): its own pollers
// and slots, so an onboarding never waits behind a storm of sync pages.
func ActionTaskQueue(base string) string { return base + "-actions" }

// Workflow type names, stable for other languages and the CLI.
const (
	ConnectWorkflow    = "ConnectIntegration"
	SyncWorkflow       = "SyncDirectory"
	DisconnectWorkflow = "DisconnectIntegration"
)

// Action workflow type names. Each takes its request type from actions.go
// and returns an ActionResult.
const (
	ActivateUsersWorkflow             = "ActivateUsers"
	SuspendUsersWorkflow              = "SuspendUsers"
	AddUsersToGroupWorkflow           = "AddUsersToGroup"
	RemoveUsersFromGroupWorkflow      = "RemoveUsersFromGroup"
	AddUsersToRoleWorkflow            = "AddUsersToRole"
	RemoveUsersFromRoleWorkflow       = "RemoveUsersFromRole"
	CheckGroupMembershipWorkflow      = "CheckGroupMembership"
	GeneratePasswordResetLinkWorkflow = "GeneratePasswordResetLink"
	SendPasswordResetEmailWorkflow    = "SendPasswordResetEmail"
	SetUserPasswordWorkflow           = "SetUserPassword"
	OnboardUserWorkflow               = "OnboardUser"
	OffboardUserWorkflow              = "OffboardUser"
)

// ProgressQuery returns a SyncProgress from SyncDirectory, and the
// ActionResult so far from an action workflow.
const ProgressQuery = "progress"

// Search attributes (Keyword). Register them on the namespace before
// starting workflows (the dev server takes --search-attribute).
var (
	IntegrationAttribute = temporal.NewSearchAttributeKeyKeyword("OneLoginIntegration")
	SyncStatusAttribute  = temporal.NewSearchAttributeKeyKeyword("OneLoginSyncStatus")
	// ActionOutcomeAttribute is set when an action run ends: ok, partial
	// or failed (ActionOutcomeOK and siblings), so
	// OneLoginActionOutcome IN ("partial", "failed") finds every run in
	// which a user failed.
	ActionOutcomeAttribute = temporal.NewSearchAttributeKeyKeyword("OneLoginActionOutcome")
)

// SearchAttributes lists every custom attribute with its type, for
// registering them.
func SearchAttributes() temporal.SearchAttributes {
	return temporal.NewSearchAttributes(IntegrationAttribute.ValueSet(""), SyncStatusAttribute.ValueSet(""),
		ActionOutcomeAttribute.ValueSet(""))
}

// Values of OneLoginSyncStatus.
const (
	SyncStatusRunning   = "running"
	SyncStatusCompleted = "completed"
	SyncStatusPartial   = "partial"
	SyncStatusFailed    = "failed"
	// SyncStatusSkipped: another sync of the integration was running; this
	// one read nothing (SyncResult.SkippedFor names it).
	SyncStatusSkipped = "skipped"
)

// Defaults for the periodic sync.
const (
	DefaultSyncInterval  = 15 * time.Minute
	DefaultCatchupWindow = time.Hour
)

// ConnectWorkflowID is the ID of an integration's connect workflow: a second
// connect while one runs joins the running one.
func ConnectWorkflowID(integration string) string { return "onelogin-connect/" + integration }

// SyncWorkflowID is the ID of an on-demand sync; scheduled runs get the same
// prefix with the server's timestamp appended.
func SyncWorkflowID(integration string) string { return "onelogin-sync/" + integration }

// InitialSyncWorkflowID is the ID of the sync a connect runs as its child.
func InitialSyncWorkflowID(integration string) string {
	return "onelogin-sync/" + integration + "/initial"
}

// DisconnectWorkflowID is the ID of an integration's disconnect workflow.
func DisconnectWorkflowID(integration string) string { return "onelogin-disconnect/" + integration }

// ActionWorkflowID is the ID of the action workflow for one of the
// product's requests. The request id is the idempotency key: starting the
// same request again joins the running workflow or returns its result.
func ActionWorkflowID(integration, requestID string) string {
	return "onelogin-action/" + integration + "/" + requestID
}

// ScheduleID is the ID of an integration's PeriodicSync schedule.
func ScheduleID(integration string) string { return "onelogin-sync-schedule/" + integration }

// WorkflowRef is what a workflow ID names: its kind, integration and, for
// actions, the request ID.
type WorkflowRef struct {
	// Kind is connect, sync, initial_sync, scheduled_sync, disconnect,
	// events or action.
	Kind          string
	IntegrationID string
	RequestID     string `json:",omitempty"`
}

// Kinds of workflow IDs.
const (
	RefConnect       = "connect"
	RefSync          = "sync"
	RefInitialSync   = "initial_sync"
	RefScheduledSync = "scheduled_sync"
	RefDisconnect    = "disconnect"
	RefAction        = "action"
	RefSchedule      = "schedule" // a ScheduleID, which log lines carry too
)

// scheduledSuffix is what the schedule appends to SyncWorkflowID: "-" and
// the nominal start time.
var scheduledSuffix = regexp.MustCompile(`-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

// ParseWorkflowID is the inverse of the ID helpers above (ScheduleID
// included): it tells which integration (and request) an ID belongs to,
// for operators, log lines, and tools that only have an ID from the UI.
func ParseWorkflowID(id string) (WorkflowRef, bool) {
	prefix, rest, ok := strings.Cut(id, "/")
	if !ok || rest == "" {
		return WorkflowRef{}, false
	}
	ref := WorkflowRef{IntegrationID: rest}
	switch prefix {
	case "onelogin-connect":
		ref.Kind = RefConnect
	case "onelogin-disconnect":
		ref.Kind = RefDisconnect
	case "onelogin-sync-schedule":
		ref.Kind = RefSchedule
	case "onelogin-sync":
		ref.Kind = RefSync
		if integration, ok := strings.CutSuffix(rest, "/initial"); ok {
			ref.Kind, ref.IntegrationID = RefInitialSync, integration
		} else if loc := scheduledSuffix.FindStringIndex(rest); loc != nil {
			ref.Kind, ref.IntegrationID = RefScheduledSync, rest[:loc[0]]
		}
	case "onelogin-events":
		ref.Kind = RefEvents
	case "onelogin-action":
		integration, request, ok := strings.Cut(rest, "/")
		if !ok {
			return WorkflowRef{}, false
		}
		ref.Kind, ref.IntegrationID, ref.RequestID = RefAction, integration, request
		if ValidateRequestID(request) != nil {
			return WorkflowRef{}, false
		}
	default:
		return WorkflowRef{}, false
	}
	if ValidateIntegrationID(ref.IntegrationID) != nil {
		return WorkflowRef{}, false
	}
	return ref, true
}
