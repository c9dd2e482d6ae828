package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
)

var eventsT0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func newEventsEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(DirectoryEvents, workflow.RegisterOptions{Name: api.EventsWorkflow})
	env.RegisterActivity(&activities.Activities{})
	env.SetStartTime(eventsT0)
	return env
}

func nextRun(t *testing.T, err error) api.EventsRequest {
	t.Helper()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "want continue-as-new, got %v", err)
	assert.Equal(t, api.EventsWorkflow, can.WorkflowType.Name)
	var next api.EventsRequest
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	return next
}

// Polls advance the cursor, count what they applied and continue as new
// after MaxPolls with the cursor and the totals.
func TestEventsPollsAndContinuesAsNew(t *testing.T) {
	env := newEventsEnv(t)
	polls := 0
	var cursors []api.EventsCursor
	env.OnActivity(a.PollEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PollEventsInput) (activities.PollEventsResult, error) {
			polls++
			cursors = append(cursors, in.Cursor)
			assert.Equal(t, polls == 1, in.WithTypes, "types are fetched once")
			next := api.EventsCursor{Since: eventsT0.Add(time.Duration(polls) * time.Second), SeenAtSince: []int64{int64(polls)}}
			return activities.PollEventsResult{Cursor: next, Events: 2, EventTypes: map[int64]string{13: "USER_CREATED"},
				ApplyEventsResult: activities.ApplyEventsResult{Reads: 2, Applied: 1, Deleted: 1, Calls: 3, Lag: 4 * time.Second}}, nil
		})
	env.ExecuteWorkflow(DirectoryEvents, api.EventsRequest{IntegrationID: "acme-tenant", PollInterval: 10 * time.Second, MaxPolls: 3})
	require.True(t, env.IsWorkflowCompleted())
	next := nextRun(t, env.GetWorkflowError())
	assert.Equal(t, 3, polls)
	assert.Equal(t, eventsT0.Add(-5*time.Minute), cursors[0].Since, "the first run starts a little before now")
	assert.Equal(t, api.EventsCursor{Since: eventsT0.Add(2 * time.Second), SeenAtSince: []int64{2}}, cursors[2])
	assert.Equal(t, api.EventsCursor{Since: eventsT0.Add(3 * time.Second), SeenAtSince: []int64{3}}, next.State.Cursor)
	assert.Equal(t, int64(3), next.State.Polls)
	assert.Equal(t, int64(6), next.State.Reads)
	assert.Equal(t, int64(3), next.State.Deleted)
	assert.Equal(t, int64(9), next.State.Calls)
	assert.Equal(t, "USER_CREATED", next.State.EventTypes[13])
	assert.Equal(t, 10*time.Second, next.PollInterval, "settings carry over")
}

// Deliveries are gathered for the debounce, duplicates and replays are
// dropped, each object is read once; the next poll is told which events
// webhooks brought.
func TestEventsDebounceAndDedupe(t *testing.T) {
	env := newEventsEnv(t)
	var applied []activities.ApplyEventsInput
	var appliedAt []time.Time
	env.OnActivity(a.ApplyEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApplyEventsInput) (activities.ApplyEventsResult, error) {
			applied = append(applied, in)
			appliedAt = append(appliedAt, env.Now())
			return activities.ApplyEventsResult{Reads: in.Objects.Len(), Applied: in.Objects.Len()}, nil
		})
	var polls []activities.PollEventsInput
	env.OnActivity(a.PollEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PollEventsInput) (activities.PollEventsResult, error) {
			polls = append(polls, in)
			return activities.PollEventsResult{Cursor: in.Cursor}, nil
		})
	e1 := api.EventRef{ID: 1, CreatedAt: eventsT0, UserID: 10}
	e2 := api.EventRef{ID: 2, CreatedAt: eventsT0.Add(time.Second), UserID: 10, RoleID: 7}
	e3 := api.EventRef{ID: 3, CreatedAt: eventsT0.Add(-time.Second), UserID: 11}
	deliver := func(at time.Duration, evs ...api.EventRef) {
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(api.EventsSignal, api.EventsDelivery{Events: evs})
		}, at)
	}
	deliver(time.Second, e1)
	deliver(1500*time.Millisecond, e1, e2) // e1 duplicated
	deliver(2*time.Second, e3)             // out of order
	deliver(30*time.Second, e2, e1)        // replayed later: nothing to do
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(api.EventsStatusQuery)
		require.NoError(t, err)
		var st api.EventsStatus
		require.NoError(t, v.Get(&st))
		assert.Equal(t, int64(4), st.Deliveries)
		assert.Equal(t, int64(3), st.Reads)
		assert.Equal(t, "healthy", st.Webhook)
		env.CancelWorkflow()
	}, 50*time.Second)
	env.ExecuteWorkflow(DirectoryEvents, api.EventsRequest{IntegrationID: "acme-tenant", PollInterval: 40 * time.Second})
	require.True(t, env.IsWorkflowCompleted())
	require.True(t, temporal.IsCanceledError(env.GetWorkflowError()), "disconnect cancels it: %v", env.GetWorkflowError())

	require.Len(t, applied, 1, "one apply for the three deliveries, none for the replay")
	assert.Equal(t, api.EventObjects{Users: []int64{10, 11}, Roles: []int64{7}}, applied[0].Objects)
	assert.Equal(t, eventsT0.Add(-time.Second), applied[0].Oldest)
	assert.Equal(t, 2*time.Second, appliedAt[0].Sub(eventsT0.Add(time.Second)), "applied one debounce after the first delivery")
	require.Len(t, polls, 2)
	assert.Empty(t, polls[0].Known)
	assert.Equal(t, []int64{1, 2, 3}, polls[1].Known)
}

// A burst of events asks for an incremental sync instead of reading each.
func TestEventsBurstRequestsSync(t *testing.T) {
	env := newEventsEnv(t)
	env.OnActivity(a.PollEvents, mock.Anything, mock.MatchedBy(func(in activities.PollEventsInput) bool {
		return in.Burst == 50
	})).Return(activities.PollEventsResult{Events: 10000, Burst: true, Cursor: api.EventsCursor{Since: eventsT0}}, nil).Once()
	env.OnActivity(a.RequestSync, mock.Anything, "acme-tenant").Return(nil).Times(2)
	env.OnActivity(a.PollEvents, mock.Anything, mock.Anything).Return(activities.PollEventsResult{Cursor: api.EventsCursor{Since: eventsT0}}, nil)
	// Deliveries naming more than Burst objects do the same.
	var big []api.EventRef
	for i := range 60 {
		big = append(big, api.EventRef{ID: int64(100 + i), UserID: int64(1000 + i)})
	}
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(api.EventsSignal, api.EventsDelivery{Events: big}) }, 5*time.Second)
	env.RegisterDelayedCallback(env.CancelWorkflow, 30*time.Second)
	env.ExecuteWorkflow(DirectoryEvents, api.EventsRequest{IntegrationID: "acme-tenant", PollInterval: time.Minute, Burst: 50})
	require.True(t, temporal.IsCanceledError(env.GetWorkflowError()))
	env.AssertActivityNumberOfCalls(t, "RequestSync", 2)
	env.AssertActivityNotCalled(t, "ApplyEvents", mock.Anything, mock.Anything)
}

// A disconnected integration (not_found) ends the workflow; any other
// failure is recorded and polling goes on.
func TestEventsFailures(t *testing.T) {
	env := newEventsEnv(t)
	env.OnActivity(a.PollEvents, mock.Anything, mock.Anything).Return(activities.PollEventsResult{},
		temporal.NewNonRetryableApplicationError("bad credential", string(errcode.InvalidCredentials), nil)).Once()
	env.OnActivity(a.PollEvents, mock.Anything, mock.Anything).Return(activities.PollEventsResult{},
		temporal.NewNonRetryableApplicationError("integration acme-tenant is disconnected", string(errcode.NotFound), nil)).Once()
	env.ExecuteWorkflow(DirectoryEvents, api.EventsRequest{IntegrationID: "acme-tenant", PollInterval: time.Minute})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var st api.EventsStatus
	require.NoError(t, env.GetWorkflowResult(&st))
	assert.Contains(t, st.LastError, "disconnected")
	env.AssertActivityNumberOfCalls(t, "PollEvents", 2)
}

// Pending deliveries survive a continue-as-new and are applied by the next
// run.
func TestEventsPendingCarriedOver(t *testing.T) {
	env := newEventsEnv(t)
	env.OnActivity(a.ApplyEvents, mock.Anything, activities.ApplyEventsInput{IntegrationID: "acme-tenant",
		Objects: api.EventObjects{Users: []int64{5}}, Oldest: eventsT0}).Return(activities.ApplyEventsResult{Reads: 1}, nil).Once()
	env.OnActivity(a.PollEvents, mock.Anything, mock.Anything).Return(activities.PollEventsResult{Cursor: api.EventsCursor{Since: eventsT0}}, nil)
	env.RegisterDelayedCallback(env.CancelWorkflow, 10*time.Second)
	env.ExecuteWorkflow(DirectoryEvents, api.EventsRequest{IntegrationID: "acme-tenant", PollInterval: time.Minute,
		State: api.EventsState{Pending: api.EventObjects{Users: []int64{5}}, PendingSince: eventsT0}})
	require.True(t, temporal.IsCanceledError(env.GetWorkflowError()))
	env.AssertExpectations(t)
}

func TestEventsRefusesBadInput(t *testing.T) {
	env := newEventsEnv(t)
	env.ExecuteWorkflow(DirectoryEvents, api.EventsRequest{IntegrationID: "acme-tenant", PollInterval: time.Millisecond})
	assert.Equal(t, errcode.InvalidInput, errcode.Of(env.GetWorkflowError()))
}

// Objects whose read failed come back after a debounce; the rest of the
// batch is not redone.
func TestEventsFailedReadsRetried(t *testing.T) {
	env := newEventsEnv(t)
	env.OnActivity(a.PollEvents, mock.Anything, mock.Anything).Return(activities.PollEventsResult{Cursor: api.EventsCursor{Since: eventsT0},
		ApplyEventsResult: activities.ApplyEventsResult{Reads: 3, Failed: api.EventObjects{Users: []int64{9}, Roles: []int64{4}}}}, nil)
	env.OnActivity(a.ApplyEvents, mock.Anything, mock.MatchedBy(func(in activities.ApplyEventsInput) bool {
		return assert.Equal(t, api.EventObjects{Users: []int64{9}, Roles: []int64{4}}, in.Objects)
	})).Return(activities.ApplyEventsResult{Reads: 2, Applied: 2}, nil).Once()
	env.RegisterDelayedCallback(env.CancelWorkflow, 30*time.Second)
	env.ExecuteWorkflow(DirectoryEvents, api.EventsRequest{IntegrationID: "acme-tenant", PollInterval: time.Minute})
	require.True(t, temporal.IsCanceledError(env.GetWorkflowError()))
	env.AssertExpectations(t)
}

// A burst whose sync cannot be asked for (no schedule) is recorded; the
// events workflow goes on polling.
func TestEventsBurstWithoutScheduleGoesOn(t *testing.T) {
	env := newEventsEnv(t)
	env.OnActivity(a.PollEvents, mock.Anything, mock.Anything).Return(activities.PollEventsResult{Burst: true, Cursor: api.EventsCursor{Since: eventsT0}}, nil)
	env.OnActivity(a.RequestSync, mock.Anything, "acme-tenant").Return(
		temporal.NewNonRetryableApplicationError("no periodic sync", string(errcode.NotFound), nil))
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(api.EventsStatusQuery)
		require.NoError(t, err)
		var st api.EventsStatus
		require.NoError(t, v.Get(&st))
		assert.Contains(t, st.LastError, "request a sync")
		env.CancelWorkflow()
	}, 150*time.Second)
	env.ExecuteWorkflow(DirectoryEvents, api.EventsRequest{IntegrationID: "acme-tenant", PollInterval: time.Minute})
	require.True(t, temporal.IsCanceledError(env.GetWorkflowError()))
	env.AssertActivityNumberOfCalls(t, "PollEvents", 3)
}
