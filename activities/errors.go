package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/onelogin"
)

// Error codes: an activity failure's ApplicationError Type is always one of
// these, and the code alone decides whether Temporal retries.
const (
	CodeInvalidCredentials     = string(onelogin.CodeInvalidCredentials)
	CodeInsufficientScope      = string(onelogin.CodeInsufficientScope)
	CodeSubdomainNotFound      = string(onelogin.CodeSubdomainNotFound)
	CodeCredentialOwnerDeleted = string(onelogin.CodeCredentialOwnerDeleted)
	CodeNotFound               = string(onelogin.CodeNotFound)
	CodeInvalidInput           = string(onelogin.CodeInvalidInput)
	CodeConflict               = string(onelogin.CodeConflict)
	CodeRateLimited            = string(onelogin.CodeRateLimited)
	CodeServerError            = string(onelogin.CodeServerError)
	CodeNetwork                = string(onelogin.CodeNetwork)
)

// NonRetryableCodes are the codes a retry cannot fix. Workflows list them in
// their retry policies as well, so a mapping slip cannot cause a retry loop.
var NonRetryableCodes = []string{CodeInvalidCredentials, CodeInsufficientScope, CodeSubdomainNotFound,
	CodeCredentialOwnerDeleted, CodeNotFound, CodeInvalidInput, CodeConflict}

// ConnectFailureCodes are the failures of a credential an admin must fix.
var ConnectFailureCodes = []string{CodeInvalidCredentials, CodeInsufficientScope, CodeSubdomainNotFound, CodeCredentialOwnerDeleted}

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
		if oe.Code == onelogin.CodeRateLimited {
			// Wait exactly as long as OneLogin asked; a 429 is routine, so
			// keep it out of failure metrics and error logs.
			opts.NextRetryDelay = oe.RetryAfter
			opts.Category = temporal.ApplicationErrorCategoryBenign
		}
		return temporal.NewApplicationErrorWithOptions(oe.Error(), string(oe.Code), opts)
	}
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return temporal.NewNonRetryableApplicationError(err.Error(), CodeNotFound, nil)
	case errors.Is(err, directory.ErrInvalid):
		return temporal.NewNonRetryableApplicationError(err.Error(), CodeInvalidInput, nil)
	case errors.Is(err, directory.ErrRunFinished):
		// The run was closed by another attempt; writing again cannot help.
		return temporal.NewNonRetryableApplicationError(err.Error(), CodeConflict, nil)
	}
	// Anything else is ours (the store, the sealing keys) and may heal.
	return temporal.NewApplicationError(err.Error(), CodeServerError)
}

// failure builds a non-retryable error with a code and a message for people.
func failure(code, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, code, nil)
}
