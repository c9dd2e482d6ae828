// Package workflows holds olflow's workflows, their inputs and outputs, and
// every name an operator or another program needs: task queue, workflow
// types, IDs, queries and search attributes.
package workflows

import (
	"maps"
	"slices"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
)

// a is the nil receiver through which workflows name activities.
var a *activities.Activities

// registered maps every workflow type name to its function.
func registered() map[string]any {
	m := map[string]any{
		api.ConnectWorkflow:    ConnectIntegration,
		api.SyncWorkflow:       SyncDirectory,
		api.DisconnectWorkflow: DisconnectIntegration,
		api.EventsWorkflow:     DirectoryEvents,
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
// and DirectoryEvents (which runs for as long as the integration is
// connected) auto-upgrade, moving to the current build at their next
// workflow task, which their GetVersion gates make safe; pinned, the events
// workflow would keep every old build from draining.
func Register(r worker.WorkflowRegistry) {
	for name, fn := range registered() {
		behavior := workflow.VersioningBehaviorPinned
		if name == api.SyncWorkflow || name == api.EventsWorkflow {
			behavior = workflow.VersioningBehaviorAutoUpgrade
		}
		r.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name, VersioningBehavior: behavior})
	}
}
