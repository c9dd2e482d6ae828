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

// leaks returns what the harness recorded that contains a secret.
func (h *harness) leaks() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, s := range h.said {
		for _, secret := range h.secrets {
			if strings.Contains(s, secret) {
				out = append(out, s)
			}
		}
	}
	return out
}

// No activity error message and no heartbeat carries a client secret, in
// the failures where one is most likely to slip out. (Every other test
// checks the same on cleanup.)
func TestSecretsNeverInErrorsOrHeartbeats(t *testing.T) {
	t.Parallel()
	// The check itself finds a leak.
	probe := newHarness(t, olsim.Options{Users: 1}, activities.Config{})
	probe.record("oops: " + testSecret)
	require.NotEmpty(t, probe.leaks())
	probe.mu.Lock()
	probe.said = nil
	probe.mu.Unlock()

	h := newHarness(t, olsim.Options{}, activities.Config{})
	validate := func(id, clientID, secret, sub string) {
		cred := h.credential(id, clientID, secret)
		if sub != "" {
			cred.Subdomain = sub
		}
		_, r := call[activities.ValidateResult](h, nil, h.acts.ValidateCredential, activities.ValidateInput{IntegrationID: id, Credential: cred})
		require.Error(t, r.err)
	}
	validate("v1", adminClientID, "wrong-secret-Kx91-zz", "")
	validate("v2", adminClientID, "two\nlines-secret-Qp2", "")
	validate("v3", "bad id with spaces", "spacey secret value 77", "")
	validate("v4", ownerGoneID, testSecret, "")
	validate("v5", adminClientID, testSecret, "globex")
	validate("v6", scopeClientIDs[olsim.ScopeReadUsers], testSecret, "")

	// A secret sealed for another integration cannot be opened.
	sealedElsewhere := h.credential("other", adminClientID, testSecret)
	_, r := call[activities.ValidateResult](h, nil, h.acts.ValidateCredential, activities.ValidateInput{IntegrationID: "v7", Credential: sealedElsewhere})
	requireCode(t, r.err, errcode.ServerError, true)

	// A sync whose credential OneLogin stops accepting mid-read, with cut
	// connections and 5xx on the way.
	h.saveIntegration("acme-1", adminClientID)
	b := h.begin("acme-1", api.ModeFull)
	h.sim.SetFaults(olsim.Faults{ConnResets: 5}) // every try the client makes
	_, r = call[activities.KindResult](h, nil, h.acts.SyncUsers, kindInput("acme-1", b))
	require.Error(t, r.err)
	h.sim.SetFaults(olsim.Faults{FailAfter: []olsim.FailAfter{{Endpoint: usersList, Count: 1, Status: 500, Times: -1}}})
	_, r = call[activities.KindResult](h, nil, h.acts.SyncUsers, kindInput("acme-1", b))
	require.Error(t, r.err)
	require.NotEmpty(t, r.heartbeats)
	h.sim.SetFaults(olsim.Faults{})
	h.sim.AddCredential(olsim.Credential{ClientID: adminClientID, ClientSecret: "rotated-at-onelogin-Vb3", Scope: olsim.ScopeManageAll})
	h.mustNotSay("rotated-at-onelogin-Vb3")
	_, r = call[activities.KindResult](h, r.lastProgress(), h.acts.SyncUsers, kindInput("acme-1", b))
	requireCode(t, r.err, errcode.InvalidCredentials, false)
	// Even finished as completed, a run whose reads never completed deletes nothing.
	fin := must[activities.FinishResult](h, h.acts.FinishSyncRun, h.finishInput("acme-1", b, directory.RunCompleted, b.Watermark))
	require.Zero(t, fin.Run.Users.Deleted)
	require.NoError(t, h.exec(nil, h.acts.RevokeToken, "acme-1").err)

	h.mu.Lock()
	recorded := len(h.said)
	h.mu.Unlock()
	require.Greater(t, recorded, 10, "the check must have seen errors and heartbeats")
	require.Empty(t, h.leaks())
}
