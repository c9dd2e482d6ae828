package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
)

// fakeSchedules is a client.ScheduleClient keeping schedules in memory, with
// the server's answers for a duplicate create and a missing schedule.
type fakeSchedules struct {
	mu        sync.Mutex
	scheds    map[string]*client.ScheduleDescription
	created   []client.ScheduleOptions
	updates   int
	createErr error // answered by the next Create, if set
	deleteErr error // answered by the next Delete, if set
}

func newFakeSchedules() *fakeSchedules {
	return &fakeSchedules{scheds: map[string]*client.ScheduleDescription{}}
}

func (f *fakeSchedules) Create(_ context.Context, o client.ScheduleOptions) (client.ScheduleHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.createErr; err != nil {
		f.createErr = nil
		return nil, err
	}
	if _, ok := f.scheds[o.ID]; ok {
		return nil, temporal.ErrScheduleAlreadyRunning
	}
	f.created = append(f.created, o)
	spec := o.Spec
	f.scheds[o.ID] = &client.ScheduleDescription{Schedule: client.Schedule{
		Action: o.Action, Spec: &spec,
		Policy: &client.SchedulePolicies{Overlap: o.Overlap, CatchupWindow: o.CatchupWindow},
		State:  &client.ScheduleState{Note: o.Note, Paused: o.Paused},
	}}
	return &fakeHandle{f: f, id: o.ID}, nil
}

func (f *fakeSchedules) List(context.Context, client.ScheduleListOptions) (client.ScheduleListIterator, error) {
	return nil, errors.New("fakeSchedules: List is not used")
}

func (f *fakeSchedules) GetHandle(_ context.Context, id string) client.ScheduleHandle {
	return &fakeHandle{f: f, id: id}
}

func (f *fakeSchedules) get(id string) *client.ScheduleDescription {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scheds[id]
}

type fakeHandle struct {
	client.ScheduleHandle // methods the activities do not use panic
	f                     *fakeSchedules
	id                    string
}

func (h *fakeHandle) GetID() string { return h.id }

func (h *fakeHandle) Delete(context.Context) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	if err := h.f.deleteErr; err != nil {
		h.f.deleteErr = nil
		return err
	}
	if _, ok := h.f.scheds[h.id]; !ok {
		return serviceerror.NewNotFound("schedule not found")
	}
	delete(h.f.scheds, h.id)
	return nil
}

func (h *fakeHandle) Describe(context.Context) (*client.ScheduleDescription, error) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	d, ok := h.f.scheds[h.id]
	if !ok {
		return nil, serviceerror.NewNotFound("schedule not found")
	}
	cp := *d
	return &cp, nil
}

func (h *fakeHandle) Update(_ context.Context, o client.ScheduleUpdateOptions) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	d, ok := h.f.scheds[h.id]
	if !ok {
		return serviceerror.NewNotFound("schedule not found")
	}
	h.f.updates++
	u, err := o.DoUpdate(client.ScheduleUpdateInput{Description: *d})
	if err != nil {
		return err
	}
	if u != nil && u.Schedule != nil {
		d.Schedule = *u.Schedule
	}
	return nil
}

func scheduleInput(interval time.Duration) activities.ScheduleInput {
	arg, _ := json.Marshal(map[string]string{"IntegrationID": "acme-1", "Mode": "incremental"})
	return activities.ScheduleInput{
		ScheduleID: "olflow-sync-acme-1", IntegrationID: "acme-1", Interval: interval, CatchupWindow: 10 * time.Minute,
		WorkflowType: "SyncDirectory", WorkflowID: "olflow-sync/acme-1", TaskQueue: "olflow", Arg: arg,
		Keywords: map[string]string{"OlflowIntegration": "acme-1"}, Note: "Connected by admin@acme.com",
	}
}

func TestEnsureScheduleCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 1}, activities.Config{})
	fake := newFakeSchedules()
	h.acts.Schedules = fake

	res := must[activities.ScheduleResult](h, h.acts.EnsureSchedule, scheduleInput(time.Hour))
	require.True(t, res.Created)
	require.Len(t, fake.created, 1)
	o := fake.created[0]
	require.Equal(t, "olflow-sync-acme-1", o.ID)
	require.Len(t, o.Spec.Intervals, 1)
	require.Equal(t, time.Hour, o.Spec.Intervals[0].Every)
	require.Less(t, o.Spec.Intervals[0].Offset, time.Hour, "a fixed offset within the interval")
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, o.Overlap)
	require.Equal(t, 10*time.Minute, o.CatchupWindow)
	require.Equal(t, "Connected by admin@acme.com", o.Note)
	action, ok := o.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	require.Equal(t, "olflow-sync/acme-1", action.ID)
	require.Equal(t, "SyncDirectory", action.Workflow)
	require.Equal(t, "olflow", action.TaskQueue)
	require.Len(t, action.Args, 1)
	require.JSONEq(t, `{"IntegrationID":"acme-1","Mode":"incremental"}`, string(action.Args[0].(json.RawMessage)))
	key := temporal.NewSearchAttributeKeyKeyword("OlflowIntegration")
	for _, sa := range []temporal.SearchAttributes{o.TypedSearchAttributes, action.TypedSearchAttributes} {
		v, ok := sa.GetKeyword(key)
		require.True(t, ok)
		require.Equal(t, "acme-1", v)
	}

	// An operator pauses it; a later connect changes the interval.
	fake.get("olflow-sync-acme-1").Schedule.State.Paused = true
	fake.get("olflow-sync-acme-1").Schedule.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL
	in := scheduleInput(15 * time.Minute)
	in.CatchupWindow = 5 * time.Minute
	res = must[activities.ScheduleResult](h, h.acts.EnsureSchedule, in)
	require.False(t, res.Created)
	require.Len(t, fake.created, 1, "no second schedule")
	require.Equal(t, 1, fake.updates)
	d := fake.get("olflow-sync-acme-1")
	require.Len(t, d.Schedule.Spec.Intervals, 1)
	require.Equal(t, 15*time.Minute, d.Schedule.Spec.Intervals[0].Every)
	require.True(t, d.Schedule.State.Paused, "an operator's pause survives the update")
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, d.Schedule.Policy.Overlap)
	require.Equal(t, 5*time.Minute, d.Schedule.Policy.CatchupWindow)
	require.Equal(t, "olflow-sync/acme-1", d.Schedule.Action.(*client.ScheduleWorkflowAction).ID)
}

func TestEnsureScheduleFailures(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 1}, activities.Config{})
	fake := newFakeSchedules()
	h.acts.Schedules = fake

	for _, tc := range []struct {
		name      string
		in        activities.ScheduleInput
		createErr error
		code      errcode.Code
		retryable bool
	}{
		{name: "no interval", in: scheduleInput(0), code: errcode.InvalidInput},
		{name: "no schedule id", in: func() activities.ScheduleInput { in := scheduleInput(time.Hour); in.ScheduleID = ""; return in }(),
			code: errcode.InvalidInput},
		{name: "refused by the server", in: scheduleInput(time.Hour), createErr: serviceerror.NewInvalidArgument("bad spec"),
			code: errcode.InvalidInput},
		{name: "server unavailable", in: scheduleInput(time.Hour), createErr: serviceerror.NewUnavailable("try later"),
			code: errcode.ServerError, retryable: true},
	} {
		fake.createErr = tc.createErr
		_, r := call[activities.ScheduleResult](h, nil, h.acts.EnsureSchedule, tc.in)
		require.Error(t, r.err, tc.name)
		requireCode(t, r.err, tc.code, tc.retryable)
	}
	require.Empty(t, fake.created)
}

func TestDeleteSchedule(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 1}, activities.Config{})
	fake := newFakeSchedules()
	h.acts.Schedules = fake
	must[activities.ScheduleResult](h, h.acts.EnsureSchedule, scheduleInput(time.Hour))

	must[struct{}](h, h.acts.DeleteSchedule, "olflow-sync-acme-1")
	require.Nil(t, fake.get("olflow-sync-acme-1"))
	// Already gone is done.
	must[struct{}](h, h.acts.DeleteSchedule, "olflow-sync-acme-1")
	must[struct{}](h, h.acts.DeleteSchedule, "never-existed")
	// Trouble reaching the server is retried.
	fake.deleteErr = serviceerror.NewUnavailable("try later")
	_, r := call[struct{}](h, nil, h.acts.DeleteSchedule, "olflow-sync-acme-1")
	requireCode(t, r.err, errcode.ServerError, true)
}
