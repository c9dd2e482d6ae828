package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// appError turns any error into the one kind that may leave an activity: a
// *temporal.ApplicationError whose Type is an error code. It is returned
// as is, never wrapped, because wrapping drops its retry settings.
func appError(err error) error {
	if err == nil {
		return nil
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// Temporal reports cancellation and timeouts itself.
		return err
	}
	var oe *onelogin.Error
	if errors.As(err, &oe) {
		opts := temporal.ApplicationErrorOptions{NonRetryable: !oe.Code.Retryable()}
		if oe.Code == errcode.InvalidInput && oe.Field != "" {
			opts.Details = []any{errcode.Details{Field: oe.Field}}
		}
		if oe.Code == errcode.RateLimited {
			// Wait exactly as long as OneLogin asked; a 429 is routine, so
			// keep it out of failure metrics and error logs.
			opts.NextRetryDelay = oe.RetryAfter
			opts.Category = temporal.ApplicationErrorCategoryBenign
		}
		return temporal.NewApplicationErrorWithOptions(oe.Error(), string(oe.Code), opts)
	}
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return temporal.NewNonRetryableApplicationError(err.Error(), string(errcode.NotFound), nil)
	case errors.Is(err, directory.ErrInvalid):
		return temporal.NewNonRetryableApplicationError(err.Error(), string(errcode.InvalidInput), nil)
	case errors.Is(err, directory.ErrRunFinished):
		// The run was closed by another attempt; writing again cannot help.
		return temporal.NewNonRetryableApplicationError(err.Error(), string(errcode.Conflict), nil)
	}
	// Anything else is ours (the store, the sealing keys) and may heal.
	return temporal.NewApplicationError(err.Error(), string(errcode.ServerError))
}

// failure builds a non-retryable error with a code and a message for people.
func failure(code errcode.Code, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, string(code), nil)
}
