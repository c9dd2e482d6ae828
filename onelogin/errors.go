package onelogin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/olflow/olflow/errcode"
)

// Code is olflow's error code (package errcode): OneLogin failures are
// classified into the same set every other layer uses.
type Code = errcode.Code

// Short names for the codes, used throughout this package.
const (
	CodeInvalidCredentials     = errcode.InvalidCredentials
	CodeInsufficientScope      = errcode.InsufficientScope
	CodeSubdomainNotFound      = errcode.SubdomainNotFound
	CodeCredentialOwnerDeleted = errcode.CredentialOwnerDeleted
	CodeNotFound               = errcode.NotFound
	CodeInvalidInput           = errcode.InvalidInput
	CodeConflict               = errcode.Conflict
	CodeRateLimited            = errcode.RateLimited
	CodeServerError            = errcode.ServerError
	CodeNetwork                = errcode.Network
)

// DefaultRateLimitWait is used when a 429 announces no reset.
const DefaultRateLimitWait = 60 * time.Second

// Error is the one error type the client returns for OneLogin failures.
type Error struct {
	Code Code
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Message is OneLogin's own message, or ours when it gave none.
	Message string
	// RequestID is OneLogin's x-request-id, for support tickets.
	RequestID string
	// RetryAfter is how long to wait before retrying a rate_limited call,
	// or a server_error whose answer carried Retry-After.
	RetryAfter time.Duration
	// Field names the bad input for invalid_input raised by the client.
	Field string
	// Op is the call, like "GET /api/2/users".
	Op  string
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("onelogin: ")
	b.WriteString(string(e.Code))
	if e.Op != "" {
		b.WriteString(": " + e.Op)
	}
	if e.Status != 0 {
		b.WriteString(": HTTP " + strconv.Itoa(e.Status))
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after " + e.RetryAfter.String() + ")")
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode makes errcode.Of understand OneLogin errors.
func (e *Error) ErrorCode() errcode.Code { return e.Code }

// CodeOf returns the code of a OneLogin error anywhere in err's chain, or ""
// when err is nil or not a OneLogin error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func invalidInput(field, msg string) *Error {
	return &Error{Code: CodeInvalidInput, Field: field, Message: msg}
}

// endpointKind tells the classifier which rules apply: the token endpoint
// speaks about the credential, resource calls about permissions and data.
type endpointKind int

const (
	kindResource endpointKind = iota
	kindToken
)

// classify maps one HTTP response to a code. fresh says the request carried a
// token obtained for this very call, so a 401 can no longer mean "expired".
func classify(kind endpointKind, status int, body parsedBody, fresh bool) Code {
	if kind == kindToken {
		switch {
		case status == http.StatusTooManyRequests:
			return CodeRateLimited
		case status == http.StatusUnauthorized, status == http.StatusBadRequest, status == http.StatusForbidden:
			return CodeInvalidCredentials
		case status == http.StatusInternalServerError:
			// OneLogin documents 500 from the token endpoint for a credential
			// whose owning admin was deleted; the body is not promised.
			return CodeCredentialOwnerDeleted
		case status == http.StatusNotFound:
			return CodeSubdomainNotFound
		case status >= 500:
			return CodeServerError
		default:
			// Anything else is not OneLogin's token endpoint answering.
			return CodeSubdomainNotFound
		}
	}
	switch {
	case status == http.StatusTooManyRequests:
		return CodeRateLimited
	case status == http.StatusUnauthorized:
		if fresh || isInsufficientPermission(body.message) {
			return CodeInsufficientScope
		}
		return CodeInvalidCredentials
	case status == http.StatusForbidden:
		return CodeInsufficientScope
	case status == http.StatusNotFound:
		return CodeNotFound
	case status == http.StatusConflict:
		return CodeConflict
	case status >= 500:
		return CodeServerError
	case status >= 400:
		return CodeInvalidInput
	default:
		return CodeServerError
	}
}

func isInsufficientPermission(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "insufficient permission")
}

// rateLimitWait reads how long a 429 asks us to wait: X-RateLimit-Reset
// (seconds left in the window), else Retry-After (seconds or HTTP date),
// else DefaultRateLimitWait.
func rateLimitWait(h http.Header, now time.Time) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Reset"))); err == nil && s >= 0 {
		return max(time.Duration(s)*time.Second, time.Second)
	}
	if d, ok := retryAfter(h, now); ok {
		return max(d, time.Second)
	}
	return DefaultRateLimitWait
}

// retryAfter reads Retry-After, in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// responseError builds the Error for a non-2xx response.
func responseError(op string, kind endpointKind, resp *http.Response, raw []byte, fresh bool, now time.Time) *Error {
	body := parseBody(resp.Header.Get("Content-Type"), raw)
	status := resp.StatusCode
	if body.embeddedStatus >= 400 && status < 400 {
		// The legacy token endpoint may answer 200 with status.error=true.
		status = body.embeddedStatus
	}
	e := &Error{
		Code:      classify(kind, status, body, fresh),
		Status:    status,
		Message:   body.message,
		RequestID: requestID(resp.Header),
		Op:        op,
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	switch e.Code {
	case CodeRateLimited:
		e.RetryAfter = rateLimitWait(resp.Header, now)
	case CodeServerError:
		// A 503 may say when to come back; retries honour it.
		e.RetryAfter, _ = retryAfter(resp.Header, now)
	}
	return e
}

func requestID(h http.Header) string { return h.Get("X-Request-Id") }

func networkError(op string, kind endpointKind, err error) *Error {
	code := CodeNetwork
	if kind == kindToken && isNoSuchHost(err) {
		code = CodeSubdomainNotFound
	}
	return &Error{Code: code, Op: op, Message: fmt.Sprint(err), Err: err}
}
