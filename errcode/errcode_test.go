package errcode_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

func TestRetryableAndNonRetryable(t *testing.T) {
	retryable := map[errcode.Code]bool{errcode.RateLimited: true, errcode.ServerError: true, errcode.Network: true}
	assert.Len(t, errcode.All(), 10)
	for _, c := range errcode.All() {
		assert.True(t, c.Valid())
		assert.Equal(t, retryable[c], c.Retryable(), c)
		assert.Equal(t, !retryable[c], contains(errcode.NonRetryable(), string(c)), c)
	}
	assert.False(t, errcode.Code("teapot").Valid())
}

func TestCredentialProblem(t *testing.T) {
	var got []errcode.Code
	for _, c := range errcode.All() {
		if c.CredentialProblem() {
			got = append(got, c)
		}
	}
	assert.Equal(t, []errcode.Code{errcode.InvalidCredentials, errcode.InsufficientScope,
		errcode.SubdomainNotFound, errcode.CredentialOwnerDeleted}, got)
}

// Of reads the code wherever it sits: a OneLogin error, a Temporal
// application error (as activities and workflows fail), wrapped or not.
func TestOf(t *testing.T) {
	oe := &onelogin.Error{Code: errcode.RateLimited, Message: "slow down"}
	app := temporal.NewNonRetryableApplicationError("no such user", string(errcode.NotFound), nil)
	other := temporal.NewApplicationError("odd", "SomethingElse")
	for _, tc := range []struct {
		err  error
		want errcode.Code
	}{
		{nil, ""},
		{errors.New("plain"), ""},
		{oe, errcode.RateLimited},
		{fmt.Errorf("page 3: %w", oe), errcode.RateLimited},
		{app, errcode.NotFound},
		{fmt.Errorf("wrapped: %w", app), errcode.NotFound},
		{other, ""},
	} {
		assert.Equal(t, tc.want, errcode.Of(tc.err), "%v", tc.err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
