package workflows

import (
	"regexp"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/errcode"
)

// integrationIDPattern keeps integration ids readable inside workflow and
// schedule IDs: the product's tenant ids, uuids and slugs all fit.
var integrationIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)

// ValidateIntegrationID refuses ids that cannot name workflows cleanly.
func ValidateIntegrationID(id string) error {
	if !integrationIDPattern.MatchString(id) {
		return invalidInput("integration_id", "must be 1-128 letters, digits or . _ : @ -, starting with a letter or digit")
	}
	return nil
}

// ValidateRequestID refuses request ids that cannot name a workflow
// cleanly. They follow the integration id rules, so a product's uuids and
// slugs fit.
func ValidateRequestID(id string) error {
	if !integrationIDPattern.MatchString(id) {
		return invalidInput("request_id", "must be 1-128 letters, digits or . _ : @ -, starting with a letter or digit")
	}
	return nil
}

// invalidInput refuses a request, naming the field in the message and, for
// callers in any language, in the error's details (errcode.Details).
func invalidInput(field, msg string) error {
	return temporal.NewNonRetryableApplicationError(field+": "+msg, string(errcode.InvalidInput), nil, errcode.Details{Field: field})
}

// retryPolicy retries transient failures with backoff and never retries a
// code a retry cannot fix, even if an activity forgot to mark it.
func retryPolicy(maxInterval time.Duration) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        maxInterval,
		NonRetryableErrorTypes: errcode.NonRetryable(),
	}
}

// shortActivity suits store writes and single OneLogin calls.
func shortActivity(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 30 * time.Minute,
		RetryPolicy:            retryPolicy(time.Minute),
		Summary:                summary,
	})
}

func isConnectFailure(code errcode.Code) bool {
	return code.CredentialProblem() || code == errcode.InvalidInput
}

// fail ends a workflow with a non-retryable error carrying code.
func fail(code errcode.Code, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, string(code), nil)
}
