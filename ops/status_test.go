package ops

import (
	"testing"

	"github.com/stretchr/testify/assert"
	enumspb "go.temporal.io/api/enums/v1"
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
