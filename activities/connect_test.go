package activities_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
)

func TestValidateCredentialReportsScope(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 5}, activities.Config{})
	for _, tc := range []struct {
		scope  olsim.Scope
		canAct bool
	}{
		{olsim.ScopeManageAll, true},
		{olsim.ScopeReadAll, false},
	} {
		id := "int-" + string(tc.scope)
		cred := h.credential(id, scopeClientIDs[tc.scope], testSecret)
		cred.Subdomain = "  https://ACME.onelogin.com/ " // as an admin pastes it
		cred.Region = " EU"
		res := must[activities.ValidateResult](h, h.acts.ValidateCredential, activities.ValidateInput{IntegrationID: id, Credential: cred})
		require.Equal(t, activities.ValidateResult{Scope: string(tc.scope), AccountID: olsim.DefaultAccountID,
			Subdomain: "acme", Region: "eu", CanAct: tc.canAct}, res, "scope %s", tc.scope)
	}
}

// Every way a credential can be refused comes back as a non-retryable
// ApplicationError whose Type is the code; transient trouble is retryable.
func TestValidateCredentialFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		clientID  string
		secret    string
		subdomain string
		faults    olsim.Faults
		code      errcode.Code
		retryable bool
		message   string // a part of the message the admin sees
	}{
		{name: "wrong secret", clientID: adminClientID, secret: "not-the-secret-0000", code: errcode.InvalidCredentials},
		{name: "unknown client id", clientID: "cid-nobody", secret: testSecret, code: errcode.InvalidCredentials},
		{name: "read users cannot read apps", clientID: scopeClientIDs[olsim.ScopeReadUsers], secret: testSecret,
			code: errcode.InsufficientScope, message: "it has Read Users"},
		{name: "manage users cannot read apps", clientID: scopeClientIDs[olsim.ScopeManageUsers], secret: testSecret,
			code: errcode.InsufficientScope, message: "it has Manage Users"},
		{name: "authentication only", clientID: scopeClientIDs[olsim.ScopeAuthOnly], secret: testSecret,
			code: errcode.InsufficientScope},
		{name: "another subdomain", clientID: adminClientID, secret: testSecret, subdomain: "globex",
			code: errcode.SubdomainNotFound},
		{name: "owner deleted", clientID: ownerGoneID, secret: testSecret, code: errcode.CredentialOwnerDeleted},
		{name: "subdomain with a dot", clientID: adminClientID, secret: testSecret, subdomain: "a.b",
			code: errcode.InvalidInput, message: "subdomain"},
		{name: "secret with a line break", clientID: adminClientID, secret: "abc\nsecret-part-2", code: errcode.InvalidInput},
		{name: "token endpoint 503", clientID: adminClientID, secret: testSecret,
			faults: olsim.Faults{FailAfter: []olsim.FailAfter{{Endpoint: "POST /auth/oauth2/v2/token", Status: 503, Times: 5}}},
			code:   errcode.ServerError, retryable: true},
		{name: "token endpoint connection reset", clientID: adminClientID, secret: testSecret,
			faults: olsim.Faults{FailAfter: []olsim.FailAfter{{Endpoint: "POST /auth/oauth2/v2/token", Reset: true, Times: 5}}},
			code:   errcode.Network, retryable: true},
		{name: "probe 502", clientID: adminClientID, secret: testSecret,
			faults: olsim.Faults{FailAfter: []olsim.FailAfter{{Endpoint: "GET /api/2/apps", Status: 502, Times: 5}}},
			code:   errcode.ServerError, retryable: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, olsim.Options{Users: 5, Faults: tc.faults}, activities.Config{})
			cred := h.credential("int-1", tc.clientID, tc.secret)
			if tc.subdomain != "" {
				cred.Subdomain = tc.subdomain
			}
			_, r := call[activities.ValidateResult](h, nil, h.acts.ValidateCredential, activities.ValidateInput{IntegrationID: "int-1", Credential: cred})
			ae := requireCode(t, r.err, tc.code, tc.retryable)
			require.Contains(t, ae.Message(), tc.message)
			if tc.code == errcode.InsufficientScope {
				// The workflow records the detected scope from the details.
				var d activities.ScopeDetails
				require.NoError(t, ae.Details(&d))
				require.Contains(t, ae.Message(), activities.ScopeWords(d.Scope))
			}
			if tc.retryable {
				// The fault outlasted the client's five tries of one call: the
				// activity's retry succeeds.
				res := must[activities.ValidateResult](h, h.acts.ValidateCredential, activities.ValidateInput{IntegrationID: "int-1", Credential: cred})
				require.Equal(t, "manage_all", res.Scope)
			}
		})
	}
}

func TestValidateCredentialNeedsIntegrationID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 5}, activities.Config{})
	_, r := call[activities.ValidateResult](h, nil, h.acts.ValidateCredential, activities.ValidateInput{
		Credential: h.credential("", adminClientID, testSecret)})
	requireCode(t, r.err, errcode.InvalidInput, false)
}

// SaveIntegration stores the credential as the admin gave it, normalised,
// with the secret still sealed; the region is optional.
func TestSaveIntegration(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 5}, activities.Config{})
	for _, region := range []string{"", "us", "EU "} {
		id := "int-region-" + strings.TrimSpace(region)
		cred := h.credential(id, " "+adminClientID+" ", testSecret)
		cred.Region = region
		cred.Subdomain = "acme.onelogin.com"
		_, r := call[struct{}](h, nil, h.acts.SaveIntegration, activities.SaveInput{IntegrationID: id, Credential: cred,
			Scope: "read_all", Status: directory.StatusConnecting, Message: "first sync running"})
		require.NoError(t, r.err, "region %q", region)
		in, err := h.store.GetIntegration(h.ctx, id)
		require.NoError(t, err)
		want := map[string]string{"": "", "us": "us", "EU ": "eu"}[region]
		require.Equal(t, want, in.Region)
		require.Equal(t, "acme", in.Subdomain)
		require.Equal(t, adminClientID, in.ClientID)
		require.Equal(t, directory.ScopeReadAll, in.ScopeLevel)
		require.Equal(t, directory.StatusConnecting, in.Status)
		require.Equal(t, cred.ClientSecret, in.ClientSecret)
		require.NotContains(t, in.ClientSecret.String(), testSecret)
		// The stored integration works: a sync can use it.
		run := h.sync(id, api.ModeFull)
		require.Equal(t, 5, run.kinds[directory.KindUsers].Items)
	}
	// A region that is neither us nor eu is refused, not retried.
	cred := h.credential("int-bad", adminClientID, testSecret)
	cred.Region = "apac"
	_, r := call[struct{}](h, nil, h.acts.SaveIntegration, activities.SaveInput{IntegrationID: "int-bad", Credential: cred,
		Status: directory.StatusConnecting})
	requireCode(t, r.err, errcode.InvalidInput, false)
}

// RecordConnectFailure leaves a connected integration (and its working
// credential) alone, and records the status and message for a new or
// failing one. The message never contains the secret.
func TestRecordConnectFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 5}, activities.Config{})
	h.saveIntegration("connected", adminClientID)
	before, err := h.store.GetIntegration(h.ctx, "connected")
	require.NoError(t, err)

	for _, code := range errcode.All() {
		if !code.CredentialProblem() {
			continue
		}
		// A failed rotation of a connected integration changes nothing.
		rotated := h.credential("connected", "cid-rotated", "rotated-secret-"+string(code))
		msg, r := call[string](h, nil, h.acts.RecordConnectFailure, activities.ConnectFailure{
			IntegrationID: "connected", Credential: rotated, Code: code})
		require.NoError(t, r.err)
		require.Equal(t, activities.StatusMessage(code, "", "acme"), msg)
		after, err := h.store.GetIntegration(h.ctx, "connected")
		require.NoError(t, err)
		require.Equal(t, before, after)

		// A new integration records the code as its status.
		id := "new-" + string(code)
		secret := "brand-new-secret-" + string(code)
		cred := h.credential(id, "cid-new", secret)
		cred.Region = ""
		cred.Subdomain = "https://Acme.onelogin.com/"
		msg, r = call[string](h, nil, h.acts.RecordConnectFailure, activities.ConnectFailure{
			IntegrationID: id, Credential: cred, Code: code})
		require.NoError(t, r.err)
		require.NotContains(t, msg, secret)
		require.NotContains(t, msg, testSecret)
		in, err := h.store.GetIntegration(h.ctx, id)
		require.NoError(t, err)
		require.Equal(t, directory.IntegrationStatus(code), in.Status)
		require.Equal(t, msg, in.StatusMessage)
		require.Equal(t, "acme", in.Subdomain)
		require.NotContains(t, in.StatusMessage, secret)
		if code == errcode.SubdomainNotFound {
			require.Contains(t, msg, "acme.onelogin.com")
			require.NotContains(t, msg, "https://")
		}

		// Failing again with another code updates the failing one.
		other := errcode.InvalidCredentials
		if code == other {
			other = errcode.InsufficientScope
		}
		_, r = call[string](h, nil, h.acts.RecordConnectFailure, activities.ConnectFailure{
			IntegrationID: id, Credential: cred, Code: other})
		require.NoError(t, r.err)
		in, err = h.store.GetIntegration(h.ctx, id)
		require.NoError(t, err)
		require.Equal(t, directory.IntegrationStatus(other), in.Status)
	}
}

// insufficient_scope records the scope the credential has, and says it.
func TestRecordConnectFailureKeepsTheScope(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 5}, activities.Config{})
	for scope, level := range map[string]directory.ScopeLevel{"auth_only": directory.ScopeAuthOnly, "read_users": directory.ScopeReadUsers, "manage_users": directory.ScopeManageUsers} {
		id := "narrow-" + scope
		msg, r := call[string](h, nil, h.acts.RecordConnectFailure, activities.ConnectFailure{
			IntegrationID: id, Credential: h.credential(id, "cid", "secret-"+scope), Code: errcode.InsufficientScope, Scope: scope})
		require.NoError(t, r.err)
		require.Contains(t, msg, "(it has "+activities.ScopeWords(scope)+")")
		in, err := h.store.GetIntegration(h.ctx, id)
		require.NoError(t, err)
		require.Equal(t, level, in.ScopeLevel, "olflow status names the scope instead of 'scope unknown'")
	}
}
