package olsim

import (
	"errors"
	"net/http"
)

// Error is a validation or request error from a mutation, carrying the HTTP
// status the API answers with.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrNotFound is returned by mutations on an unknown user, group, role or
// credential.
var ErrNotFound = errors.New("olsim: not found")

// errorResponse renders an error from the shared mutation code in the call's
// API version.
func (c *call) errorResponse(err error) *response {
	if e := (*Error)(nil); errors.As(err, &e) {
		return c.fail(e.Status, e.Message)
	}
	if errors.Is(err, ErrNotFound) {
		return c.fail(http.StatusNotFound, "")
	}
	return c.fail(http.StatusInternalServerError, "")
}
