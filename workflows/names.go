// Package workflows holds olflow's workflows, their inputs and outputs, and
// every name an operator or another program needs: task queue, workflow
// types, IDs, queries and search attributes.
package workflows

import (
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
)

// TaskQueue is where olflow's workers listen.
const TaskQueue = "olflow"

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
)

// SearchAttributes lists every custom attribute with its type, for
// registering them.
func SearchAttributes() temporal.SearchAttributes {
	return temporal.NewSearchAttributes(IntegrationAttribute.ValueSet(""), SyncStatusAttribute.ValueSet(""))
}

// Values of OneLoginSyncStatus.
const (
	SyncStatusRunning   = "running"
	SyncStatusCompleted = "completed"
	SyncStatusPartial   = "partial"
	SyncStatusFailed    = "failed"
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

// a is the nil receiver through which workflows name activities.
var a *activities.Activities

// registered maps every workflow type name to its function.
func registered() map[string]any {
	m := map[string]any{
		ConnectWorkflow:    ConnectIntegration,
		SyncWorkflow:       SyncDirectory,
		DisconnectWorkflow: DisconnectIntegration,
	}
	for name, fn := range actionWorkflows {
		m[name] = fn
	}
	return m
}

// Types lists every registered workflow type name, sorted.
func Types() []string {
	return slices.Sorted(maps.Keys(registered()))
}

// Register registers every workflow under its stable name. The worker, the
// tests and the replayer all use it.
//
// Each declares its Worker Versioning behaviour, which the SDK uses only on
// a versioned worker. Short runs are pinned: a rollout never changes their
// code mid-run, they finish on the build that started them. SyncDirectory
// can run long: it auto-upgrades, moving to the current build at its next
// workflow task, which its GetVersion gates make safe.
func Register(r worker.WorkflowRegistry) {
	for name, fn := range registered() {
		behavior := workflow.VersioningBehaviorPinned
		if name == SyncWorkflow {
			behavior = workflow.VersioningBehaviorAutoUpgrade
		}
		r.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name, VersioningBehavior: behavior})
	}
}
