package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
)

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
	return workflow.WithActivityOptions(ctx, shortOptions(summary))
}

func shortOptions(summary string) workflow.ActivityOptions {
	return minuteOptions(30*time.Minute, summary)
}

// minuteOptions: one attempt may take a minute, retries back off to a
// minute apart, for at most scheduleToClose.
func minuteOptions(scheduleToClose time.Duration, summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: scheduleToClose,
		RetryPolicy:            retryPolicy(time.Minute),
		Summary:                summary,
	}
}

func isConnectFailure(code errcode.Code) bool {
	return code.CredentialProblem() || code == errcode.InvalidInput
}

// fail ends a workflow with a non-retryable error carrying code.
func fail(code errcode.Code, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, string(code), nil)
}

// refuse turns a contract validation error (*api.InputError) into the
// workflow's invalid_input failure.
func refuse(err error) error {
	var ie *api.InputError
	if errors.As(err, &ie) {
		return invalidInput(ie.Field, ie.Message)
	}
	return invalidInput("request", err.Error())
}
