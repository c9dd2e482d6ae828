package testsuite

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/starter"
)

// Finding 1 of the reliability issue: a request id is bound to the request
// it first started. The same request again returns the first result; a
// different request under the id is refused with conflict, naming it, in
// the waiting and --no-wait forms and through the starter, and the user it
// names is never touched.
func TestRequestIDsAreBoundToTheirRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 10, Groups: 2, Roles: 2})
	const id = "idem-acme"
	_, err := h.starter.Connect(ctxT(t, time.Minute), h.connectInput(id))
	require.NoError(t, err)
	users := h.sim.Users()
	a, b := users[0], users[1]
	_, err = h.sim.UpdateUser(a.ID, olsim.Fields{"status": 1})
	require.NoError(t, err)
	_, err = h.sim.UpdateUser(b.ID, olsim.Fields{"status": 1})
	require.NoError(t, err)

	first := h.olflow("", nil, "--json", "suspend-users", "-i", id, "--request-id", "R", "-u", fmt.Sprint(a.ID), "--requested-by", "ada")
	require.Equal(t, 0, first.code, first.stdout+first.stderr)
	var res api.ActionResult
	first.decode(t, &res)
	assert.Equal(t, 1, res.Changed)

	// The same request, asked by someone else: the first result, no write.
	again := h.olflow("", nil, "--json", "suspend-users", "-i", id, "--request-id", "R", "-u", fmt.Sprint(a.ID), "--requested-by", "bob")
	require.Equal(t, 0, again.code, again.stdout+again.stderr)
	again.decode(t, &res)
	assert.Equal(t, 1, res.Changed)
	assert.Equal(t, 1, h.sim.Writes(a.ID)[olsim.WriteSuspend], "acted once")

	conflict := func(r cliResult) {
		t.Helper()
		var doc struct {
			Error struct{ Code, Field, Message string }
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout+r.stderr)
		assert.Equal(t, string(errcode.Conflict), doc.Error.Code)
		assert.Equal(t, "request_id", doc.Error.Field)
		assert.Contains(t, doc.Error.Message, "request id R ")
		assert.Equal(t, 1, r.code)
	}
	conflict(h.olflow("", nil, "--json", "suspend-users", "-i", id, "--request-id", "R", "-u", fmt.Sprint(b.ID)))
	conflict(h.olflow("", nil, "--json", "suspend-users", "-i", id, "--request-id", "R", "-u", fmt.Sprint(b.ID), "--wait=false"))
	conflict(h.olflow("", nil, "--json", "activate-users", "-i", id, "--request-id", "R", "-u", fmt.Sprint(a.ID), "--wait=false"))

	// The starter, reading the codec-encrypted memo with the client's
	// converter.
	st := &starter.Starter{Client: h.client, Keys: h.keys, TaskQueue: h.queue, DataConverter: dataConverter()}
	_, err = st.SuspendUsers(ctxT(t, time.Minute), api.ActionRequest{IntegrationID: id, RequestID: "R", Users: []api.UserRef{{ID: b.ID}}})
	assert.Equal(t, errcode.Conflict, errcode.Of(err), "%v", err)
	run, err := st.SuspendUsers(ctxT(t, time.Minute), api.ActionRequest{IntegrationID: id, RequestID: "R", Users: []api.UserRef{{ID: a.ID}}})
	require.NoError(t, err)
	got, err := run.Get(ctxT(t, time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, got.Changed)

	u, ok := h.sim.User(b.ID)
	require.True(t, ok)
	assert.Equal(t, 1, u.Status, "the other user is untouched")
	assert.Empty(t, h.sim.Writes(b.ID))
}
