// Package errcode is olflow's one set of error codes. Every failure that
// leaves an activity or workflow carries one as its Temporal application
// error type, every API answer names one, and the code alone decides
// whether a retry can help. It imports nothing of olflow's, so any program
// (the product backend included) can switch on codes cheaply.
package errcode

import "errors"

// Code is a stable error code, safe to show and to switch on.
type Code string

// The codes. Their strings never change: other languages and stored
// integration statuses depend on them.
const (
	InvalidCredentials     Code = "invalid_credentials"
	InsufficientScope      Code = "insufficient_scope"
	SubdomainNotFound      Code = "subdomain_not_found"
	CredentialOwnerDeleted Code = "credential_owner_deleted"
	NotFound               Code = "not_found"
	InvalidInput           Code = "invalid_input"
	Conflict               Code = "conflict"
	RateLimited            Code = "rate_limited"
	ServerError            Code = "server_error"
	Network                Code = "network"
)

// All lists every code.
func All() []Code {
	return []Code{InvalidCredentials, InsufficientScope, SubdomainNotFound, CredentialOwnerDeleted,
		NotFound, InvalidInput, Conflict, RateLimited, ServerError, Network}
}

// Valid reports whether c is one of the codes.
func (c Code) Valid() bool {
	for _, k := range All() {
		if c == k {
			return true
		}
	}
	return false
}

// Retryable reports whether trying the same thing again may succeed: a
// 429 after its reset, a 5xx or a network failure. Everything else needs
// someone to change the credential or the input first.
func (c Code) Retryable() bool {
	switch c {
	case RateLimited, ServerError, Network:
		return true
	}
	return false
}

// CredentialProblem reports whether c is a failure of the credential that
// only the customer's admin can fix (the four connect troubleshooting
// causes).
func (c Code) CredentialProblem() bool {
	switch c {
	case InvalidCredentials, InsufficientScope, SubdomainNotFound, CredentialOwnerDeleted:
		return true
	}
	return false
}

func (c Code) String() string { return string(c) }

// NonRetryable lists the codes no retry can fix, as strings, for a
// Temporal RetryPolicy's NonRetryableErrorTypes.
func NonRetryable() []string {
	var out []string
	for _, c := range All() {
		if !c.Retryable() {
			out = append(out, string(c))
		}
	}
	return out
}

// Of returns the code of the first error in err's chain that carries one:
// an error with an ErrorCode method (OneLogin's and the starter's errors),
// or a Temporal application error whose type is a code (what activities
// and workflows fail with). It returns "" when none does.
func Of(err error) Code {
	var coded interface{ ErrorCode() Code }
	if errors.As(err, &coded) {
		return coded.ErrorCode()
	}
	// *temporal.ApplicationError, matched by its method so that this
	// package imports no SDK.
	var typed interface{ Type() string }
	if errors.As(err, &typed) {
		if c := Code(typed.Type()); c.Valid() {
			return c
		}
	}
	return ""
}

// Details is what an invalid_input failure carries as its Temporal error
// details, so callers in any language learn which field to fix.
type Details struct {
	Field string `json:"field"`
}
