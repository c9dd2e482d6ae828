package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
)

// fakeTemporal keeps one run per workflow ID, the way the server does
// under the starter's policies: a second start of an ID fails with
// WorkflowExecutionAlreadyStarted.
type fakeTemporal struct {
	client.Client // unused methods panic
	runs          map[string]*fakeRun
	starts        int
}

type fakeRun struct {
	id, runID, workflowType string
	memo                    *commonpb.Memo
	input                   any
	failed                  bool // closed unsuccessfully: its id may start again
}

func (r *fakeRun) GetID() string                  { return r.id }
func (r *fakeRun) GetRunID() string               { return r.runID }
func (r *fakeRun) GetFirstExecutionRunID() string { return r.runID }
func (r *fakeRun) Get(_ context.Context, v any) error {
	res, ok := v.(*api.ActionResult)
	if !ok {
		return errors.New("fake run: unexpected result type")
	}
	integration, requestID := r.input.(Request).Key()
	*res = api.ActionResult{Action: r.workflowType, IntegrationID: integration, RequestID: requestID}
	return nil
}
func (r *fakeRun) GetWithOptions(ctx context.Context, v any, _ client.WorkflowRunGetOptions) error {
	return r.Get(ctx, v)
}

func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	if r, ok := f.runs[o.ID]; ok && !r.failed {
		return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "", r.runID)
	}
	memo := &commonpb.Memo{Fields: map[string]*commonpb.Payload{}}
	for k, v := range o.Memo {
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		if err != nil {
			return nil, err
		}
		memo.Fields[k] = p
	}
	f.starts++
	r := &fakeRun{id: o.ID, runID: fmt.Sprintf("run-%d", f.starts), workflowType: wf.(string), memo: memo, input: args[0]}
	f.runs[o.ID] = r
	return r, nil
}

func (f *fakeTemporal) DescribeWorkflow(_ context.Context, id, _ string) (*client.WorkflowExecutionDescription, error) {
	r, ok := f.runs[id]
	if !ok {
		return nil, serviceerror.NewNotFound("no such workflow")
	}
	return &client.WorkflowExecutionDescription{RawResponse: &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: r.runID},
		Type:      &commonpb.WorkflowType{Name: r.workflowType},
		Status:    enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED,
		Memo:      r.memo,
	}}}, nil
}

func (f *fakeTemporal) GetWorkflow(_ context.Context, id, runID string) client.WorkflowRun {
	r := f.runs[id]
	if r == nil || r.runID != runID {
		return &fakeRun{id: id, runID: runID}
	}
	return r
}

func newFakeStarter(t *testing.T) (*Starter, *fakeTemporal) {
	t.Helper()
	key, err := seal.GenerateKey()
	require.NoError(t, err)
	keys, err := seal.ParseKeyring("k1:" + key)
	require.NoError(t, err)
	f := &fakeTemporal{runs: map[string]*fakeRun{}}
	return &Starter{Client: f, Keys: keys}, f
}

func suspend(users ...api.UserRef) api.ActionRequest {
	return api.ActionRequest{IntegrationID: "acme", RequestID: "R", RequestedBy: "ada", Users: users}
}

func requireConflict(t *testing.T, err error, requestID string) {
	t.Helper()
	var se *Error
	require.True(t, errors.As(err, &se), "want a conflict, got %v", err)
	assert.Equal(t, errcode.Conflict, errcode.Of(err))
	assert.Equal(t, "request_id", se.Field)
	assert.Contains(t, se.Message, "request id "+requestID+" ")
}

// The same request again joins the first run: no second start, the first
// run's result. Who asked and the parallelism are not part of the request.
func TestSameRequestJoinsTheFirstRun(t *testing.T) {
	s, f := newFakeStarter(t)
	ctx := t.Context()
	first, err := s.SuspendUsers(ctx, suspend(api.UserRef{Email: "a@x"}, api.UserRef{ID: 7}))
	require.NoError(t, err)
	again := suspend(api.UserRef{Email: " a@x "}, api.UserRef{ID: 7}) // the same once normalised
	again.RequestedBy, again.Parallelism = "bob", 5
	second, err := s.SuspendUsers(ctx, again)
	require.NoError(t, err)
	assert.Equal(t, 1, f.starts)
	assert.Equal(t, first.GetRunID(), second.GetRunID())
	res, err := second.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, api.SuspendUsersWorkflow, res.Action)
}

// Finding 1: another request under a used id is refused, whether it names
// other users, another group, or another action, through the typed
// methods and StartAction alike.
func TestAnotherRequestUnderAUsedIDIsAConflict(t *testing.T) {
	s, f := newFakeStarter(t)
	ctx := t.Context()
	_, err := s.SuspendUsers(ctx, suspend(api.UserRef{Email: "a@x"}))
	require.NoError(t, err)

	_, err = s.SuspendUsers(ctx, suspend(api.UserRef{Email: "b@x"}))
	requireConflict(t, err, "R")
	assert.Contains(t, err.Error(), "a different SuspendUsers request")

	other := suspend(api.UserRef{Email: "a@x"})
	_, err = s.StartAction(ctx, api.ActivateUsersWorkflow, &other)
	requireConflict(t, err, "R")
	assert.Contains(t, err.Error(), "a SuspendUsers request")

	group := api.GroupRequest{ActionRequest: suspend(api.UserRef{ID: 1}), GroupID: 10}
	group.RequestID = "G"
	_, err = s.AddUsersToGroup(ctx, group)
	require.NoError(t, err)
	group.GroupID = 11
	_, err = s.AddUsersToGroup(ctx, group)
	requireConflict(t, err, "G")
	assert.Equal(t, 2, f.starts, "no refused request started a run")
}

// A failed run's id starts again (the server allows it, and a bulk action
// resumes), but only for the same request: the request is compared before
// the start, not only when the server reports the id taken.
func TestAFailedRunRestartsOnlyForTheSameRequest(t *testing.T) {
	s, f := newFakeStarter(t)
	_, err := s.SuspendUsers(t.Context(), suspend(api.UserRef{ID: 1}))
	require.NoError(t, err)
	f.runs[api.ActionWorkflowID("acme", "R")].failed = true
	_, err = s.SuspendUsers(t.Context(), suspend(api.UserRef{ID: 2}))
	requireConflict(t, err, "R")
	assert.Equal(t, 1, f.starts)
	run, err := s.SuspendUsers(t.Context(), suspend(api.UserRef{ID: 1}))
	require.NoError(t, err)
	assert.Equal(t, 2, f.starts, "the same request runs again")
	assert.Equal(t, "run-2", run.GetRunID())
}

// A password is sealed afresh on each call (random nonce); the digest
// leaves the ciphertext out, so a retry of the same request joins.
func TestSetPasswordRetryJoinsDespiteFreshCiphertext(t *testing.T) {
	s, f := newFakeStarter(t)
	in := SetPasswordInput{IntegrationID: "acme", RequestID: "P", User: api.UserRef{ID: 3}, Password: seal.NewSecret("correct horse")}
	first, err := s.SetUserPassword(t.Context(), in)
	require.NoError(t, err)
	second, err := s.SetUserPassword(t.Context(), in)
	require.NoError(t, err)
	assert.Equal(t, first.GetRunID(), second.GetRunID())
	in.User = api.UserRef{ID: 4}
	_, err = s.SetUserPassword(t.Context(), in)
	requireConflict(t, err, "P")
	assert.Equal(t, 1, f.starts)
}

// Runs started before digests were recorded carry no memo: they are still
// joined when the action matches, and refused when it does not.
func TestRunsWithoutADigestAreJoinedOnTheirType(t *testing.T) {
	s, f := newFakeStarter(t)
	f.runs[api.ActionWorkflowID("acme", "R")] = &fakeRun{id: api.ActionWorkflowID("acme", "R"), runID: "old",
		workflowType: api.SuspendUsersWorkflow, input: &api.ActionRequest{IntegrationID: "acme", RequestID: "R"}}
	run, err := s.SuspendUsers(t.Context(), suspend(api.UserRef{ID: 9}))
	require.NoError(t, err)
	assert.Equal(t, "old", run.GetRunID())
	_, err = s.ActivateUsers(t.Context(), suspend(api.UserRef{ID: 9}))
	requireConflict(t, err, "R")

	// A digest this starter cannot decode (written through a codec it was
	// not given) is no reason to refuse: the type alone decides.
	f.runs[api.ActionWorkflowID("acme", "E")] = &fakeRun{id: api.ActionWorkflowID("acme", "E"), runID: "sealed",
		workflowType: api.SuspendUsersWorkflow, input: &api.ActionRequest{IntegrationID: "acme", RequestID: "E"},
		memo: &commonpb.Memo{Fields: map[string]*commonpb.Payload{RequestDigestMemo: {
			Metadata: map[string][]byte{"encoding": []byte("binary/encrypted")}, Data: []byte{0x8f, 0x01}}}}}
	other := suspend(api.UserRef{ID: 10})
	other.RequestID = "E"
	run, err = s.SuspendUsers(t.Context(), other)
	require.NoError(t, err)
	assert.Equal(t, "sealed", run.GetRunID())
}

func TestRequestDigest(t *testing.T) {
	digest := func(wf string, r Request) string {
		t.Helper()
		require.NoError(t, r.Normalize())
		d, err := RequestDigest(wf, r)
		require.NoError(t, err)
		return d
	}
	base := func() *api.GroupRequest {
		return &api.GroupRequest{ActionRequest: suspend(api.UserRef{ID: 1<<53 + 1}), GroupID: 5}
	}
	d := digest(api.AddUsersToGroupWorkflow, base())
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, d)
	assert.Equal(t, d, digest(api.AddUsersToGroupWorkflow, base()), "stable")
	assert.NotEqual(t, d, digest(api.RemoveUsersFromGroupWorkflow, base()), "the action is part of it")
	near := base()
	near.Users[0].ID = 1<<53 + 2 // equal as float64: the digest must read ids exactly
	assert.NotEqual(t, d, digest(api.AddUsersToGroupWorkflow, near))
	reordered := base()
	reordered.Users = []api.UserRef{{ID: 2}, {ID: 1}}
	ordered := base()
	ordered.Users = []api.UserRef{{ID: 1}, {ID: 2}}
	assert.NotEqual(t, digest(api.AddUsersToGroupWorkflow, ordered), digest(api.AddUsersToGroupWorkflow, reordered),
		"results come in request order, so the order is part of the request")
}

func TestCheckPassword(t *testing.T) {
	for _, ok := range []string{"x", " padded ", strings.Repeat("é", MaxPasswordLength), "p@ss wörd!"} {
		assert.NoError(t, CheckPassword(seal.NewSecret(ok)), "%q", ok)
	}
	for _, bad := range []string{"", strings.Repeat("a", MaxPasswordLength+1), "two\nlines", "tab\there", "nul\x00", "\xff\xfe"} {
		err := CheckPassword(seal.NewSecret(bad))
		var se *Error
		require.True(t, errors.As(err, &se), "%q", bad)
		assert.Equal(t, "password", se.Field)
		assert.Equal(t, errcode.InvalidInput, se.Code)
	}
}
