package ops

import (
	"testing"

	"github.com/stretchr/testify/assert"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
)

func TestStatusNames(t *testing.T) {
	for s, want := range map[enumspb.WorkflowExecutionStatus]string{
		enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:          "Running",
		enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:        "Completed",
		enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:           "Failed",
		enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:         "Canceled",
		enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:       "Terminated",
		enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:        "TimedOut",
		enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: "ContinuedAsNew",
	} {
		assert.Equal(t, want, statusName(s))
	}
}

// The summary answers the setup guide's fourth cause: still syncing (with
// progress), or connected with a scope that leaves things out (named).
func TestStatusSummary(t *testing.T) {
	rec := func(status directory.IntegrationStatus, scope directory.ScopeLevel) *directory.StatusSummary {
		return &directory.StatusSummary{Integration: directory.Integration{Status: status, ScopeLevel: scope}}
	}
	syncing := &LiveProgress{SyncProgress: api.SyncProgress{Mode: api.ModeFull, Phase: api.PhaseReading,
		Kinds: map[string]*api.KindStatus{api.KindUsers: {State: api.KindRunning, Items: 4950, Pages: 99}}},
		TotalPages: map[string]int{api.KindUsers: 200}}
	for name, tc := range map[string]struct {
		st   Status
		want []string
	}{
		"syncing": {Status{Integration: rec(directory.StatusConnecting, directory.ScopeManageAll), Sync: syncing},
			[]string{"Syncing (full): reading, 4950 users read (page 99 of 200)", "Connected with Manage All scope"}},
		"read all": {Status{Integration: rec(directory.StatusConnected, directory.ScopeReadAll)},
			[]string{"Connected with Read All scope", "actions (activate, suspend, groups, roles, passwords) are not possible: they need Manage All"}},
		"refused": {Status{Integration: rec(directory.StatusInsufficientScope, directory.ScopeReadUsers)},
			[]string{"Not connected (insufficient_scope); the credential has Read Users scope."}},
		"partial": {Status{Integration: &directory.StatusSummary{Integration: directory.Integration{Status: directory.StatusConnected, ScopeLevel: directory.ScopeReadAll},
			LastRun: &directory.SyncRun{ID: 4, Status: directory.RunPartial, ErrorCode: "insufficient_scope"}}},
			[]string{"The last sync (run 4) was partial (insufficient_scope)"}},
	} {
		got := summarize(tc.st)
		for _, w := range tc.want {
			assert.Contains(t, got, w, name)
		}
	}
}
