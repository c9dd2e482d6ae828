package api

import (
	"fmt"
	"regexp"

	"github.com/olflow/olflow/errcode"
)

// InputError is a request refused for one field.
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Message }

// ErrorCode makes errcode.Of read it as invalid_input.
func (e *InputError) ErrorCode() errcode.Code { return errcode.InvalidInput }

func inputError(field, format string, args ...any) error {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// idPattern keeps integration and request ids readable inside workflow and
// schedule IDs: the product's tenant ids, uuids and slugs all fit.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)

const idRule = "must be 1-128 letters, digits or . _ : @ -, starting with a letter or digit"

// ValidateIntegrationID refuses ids that cannot name workflows cleanly.
func ValidateIntegrationID(id string) error {
	if !idPattern.MatchString(id) {
		return inputError("integration_id", idRule)
	}
	return nil
}

// ValidateRequestID refuses request ids that cannot name a workflow
// cleanly. They follow the integration id rules.
func ValidateRequestID(id string) error {
	if !idPattern.MatchString(id) {
		return inputError("request_id", idRule)
	}
	return nil
}
