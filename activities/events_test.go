package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
)

const getUserKey = "GET /api/2/users/:id"

// eventsHarness is a synced integration "acme" and the time before any
// change, to poll from.
func eventsHarness(t *testing.T) (*harness, time.Time) {
	h := newHarness(t, olsim.Options{Users: 40}, activities.Config{})
	h.saveIntegration("acme", adminClientID)
	h.sync("acme", api.ModeFull)
	h.requireMirrors("acme")
	since := h.clock.Now()
	h.clock.Advance(time.Second)
	return h, since
}

func (h *harness) poll(in activities.PollEventsInput) activities.PollEventsResult {
	h.t.Helper()
	if in.IntegrationID == "" {
		in.IntegrationID = "acme"
	}
	if in.Burst == 0 {
		in.Burst = 100
	}
	return must[activities.PollEventsResult](h, h.acts.PollEvents, in)
}

// Every kind of change reaches the store by re-reading the objects events
// name, each once however many events name it; a deleted user is deleted.
func TestPollEventsAppliesChanges(t *testing.T) {
	h, since := eventsHarness(t)
	us := h.sim.Users()
	roles, groups := h.sim.Roles(), h.sim.Groups()
	_, err := h.sim.UpdateUser(us[0].ID, olsim.Fields{"title": "Chief Tester"})
	require.NoError(t, err)
	for i := range 5 { // five events, one user
		_, err = h.sim.UpdateUser(us[1].ID, olsim.Fields{"department": "Dept " + string(rune('A'+i))})
		require.NoError(t, err)
	}
	require.NoError(t, h.sim.DeleteUser(us[2].ID))
	newGroup := groups[0].ID
	if us[3].GroupID == newGroup {
		newGroup = groups[1].ID
	}
	require.NoError(t, h.sim.SetUserGroup(us[3].ID, newGroup))
	require.NoError(t, h.sim.AddUserRoles(us[4].ID, roles[len(roles)-1].ID))
	created, err := h.sim.CreateUser(olsim.Fields{"email": "new.hire@example.com", "username": "newhire", "firstname": "New"})
	require.NoError(t, err)
	h.clock.Advance(time.Minute)
	h.sim.ResetCounters()

	res := h.poll(activities.PollEventsInput{Cursor: api.EventsCursor{Since: since}, WithTypes: true})
	h.requireMirrors("acme")
	h.requireGone("acme", us[2].ID)
	h.requirePresent("acme", created.ID)
	assert.GreaterOrEqual(t, res.Events, 10)
	assert.Equal(t, res.Events, res.Missed, "no webhook brought any")
	assert.Equal(t, 1, res.Deleted)
	assert.Equal(t, 6, h.sim.RequestCount(getUserKey), "each named user read once")
	assert.Equal(t, res.Reads, h.sim.RequestCount(getUserKey)+h.sim.RequestCount("GET /api/2/roles/:id")+h.sim.RequestCount("GET /api/1/groups/:id"))
	assert.GreaterOrEqual(t, res.Applied, 6)
	assert.Positive(t, res.Lag)
	assert.Equal(t, "USER_CREATED", res.EventTypes[13])
	assert.Positive(t, res.Calls)

	// The cursor moved past them: the next poll reads nothing again, even
	// though since is inclusive and the events share one instant.
	h.sim.ResetCounters()
	again := h.poll(activities.PollEventsInput{Cursor: res.Cursor})
	assert.Zero(t, again.Events)
	assert.Zero(t, again.Reads)
	assert.Equal(t, res.Cursor, again.Cursor)
	assert.Zero(t, h.sim.RequestCount(getUserKey))
}

// Events webhooks already brought are not read again, and do not count as
// missed.
func TestPollEventsSkipsKnown(t *testing.T) {
	h, since := eventsHarness(t)
	us := h.sim.Users()
	_, err := h.sim.UpdateUser(us[0].ID, olsim.Fields{"title": "A"})
	require.NoError(t, err)
	_, err = h.sim.UpdateUser(us[1].ID, olsim.Fields{"title": "B"})
	require.NoError(t, err)
	evs := h.sim.Events()
	h.clock.Advance(time.Minute)
	h.sim.ResetCounters()
	res := h.poll(activities.PollEventsInput{Cursor: api.EventsCursor{Since: since}, Known: []int64{evs[len(evs)-2].ID}})
	assert.Equal(t, 2, res.Events)
	assert.Equal(t, 1, res.Missed)
	assert.Equal(t, 1, h.sim.RequestCount(getUserKey))
}

// More objects than Burst: nothing is read, the cursor jumps to now and the
// caller asks for a sync.
func TestPollEventsBurst(t *testing.T) {
	h, since := eventsHarness(t)
	for _, u := range h.sim.Users()[:20] {
		_, err := h.sim.UpdateUser(u.ID, olsim.Fields{"title": "bulk"})
		require.NoError(t, err)
	}
	h.sim.ResetCounters()
	res := h.poll(activities.PollEventsInput{Cursor: api.EventsCursor{Since: since}, Burst: 5})
	assert.True(t, res.Burst)
	assert.Zero(t, res.Reads)
	assert.Zero(t, h.sim.RequestCount(getUserKey))
	assert.Equal(t, h.clock.Now(), res.Cursor.Since)
}

// ApplyEvents deletes a user that answers 404, leaves alone an id never
// stored, and reads each object once.
func TestApplyEventsDeletesOn404(t *testing.T) {
	h, _ := eventsHarness(t)
	us := h.sim.Users()
	require.NoError(t, h.sim.DeleteUser(us[5].ID))
	_, err := h.sim.UpdateUser(us[6].ID, olsim.Fields{"lastname": "Renamed"})
	require.NoError(t, err)
	h.sim.ResetCounters()
	res := must[activities.ApplyEventsResult](h, h.acts.ApplyEvents, activities.ApplyEventsInput{IntegrationID: "acme",
		Objects: api.EventObjects{Users: []int64{us[5].ID, us[6].ID, 999999}, Groups: []int64{h.sim.Groups()[0].ID},
			Roles: []int64{h.sim.Roles()[0].ID}}})
	assert.Equal(t, 1, res.Deleted)
	assert.Equal(t, 5, res.Reads)
	assert.Equal(t, 2, res.Applied, "the deletion and the rename")
	h.requireGone("acme", us[5].ID)
	h.requireMirrors("acme")
	assert.Equal(t, 3, h.sim.RequestCount(getUserKey))
}

// A disconnected integration is not_found (the workflow stops); a read
// that fails with a 5xx deletes nothing and comes back in Failed, while the
// other objects are applied; a failing events list is a retryable error.
func TestPollEventsFailures(t *testing.T) {
	h, since := eventsHarness(t)
	us := h.sim.Users()
	require.NoError(t, h.sim.DeleteUser(us[0].ID))
	group := h.sim.Groups()[0].ID
	if us[1].GroupID == group {
		group = h.sim.Groups()[1].ID
	}
	require.NoError(t, h.sim.SetUserGroup(us[1].ID, group))
	h.sim.SetFaults(olsim.Faults{ErrorRate: 1, ErrorEndpoints: []string{getUserKey}})
	res := h.poll(activities.PollEventsInput{Cursor: api.EventsCursor{Since: since}, Burst: 10})
	assert.EqualValues(t, 40, h.liveUsers("acme"), "a 5xx deletes nothing")
	assert.ElementsMatch(t, []int64{us[0].ID, us[1].ID}, res.Failed.Users)
	assert.Empty(t, res.Failed.Groups, "the group was read")
	assert.Zero(t, res.Deleted)

	h.sim.SetFaults(olsim.Faults{ErrorRate: 1, ErrorEndpoints: []string{"GET /api/1/events"}})
	_, r := call[activities.PollEventsResult](h, nil, h.acts.PollEvents, activities.PollEventsInput{IntegrationID: "acme",
		Cursor: api.EventsCursor{Since: since}, Burst: 10})
	requireCode(t, r.err, errcode.ServerError, true)

	h.sim.SetFaults(olsim.Faults{})
	require.NoError(t, h.store.SetIntegrationStatus(h.ctx, "acme", directory.StatusDisconnected, "bye"))
	_, r = call[activities.PollEventsResult](h, nil, h.acts.PollEvents, activities.PollEventsInput{IntegrationID: "acme",
		Cursor: api.EventsCursor{Since: since}})
	requireCode(t, r.err, errcode.NotFound, false)
}

// triggerSchedules records schedule triggers.
type triggerSchedules struct {
	client.ScheduleClient // methods RequestSync does not use panic
	triggered             []string
	err                   error
}

func (s *triggerSchedules) GetHandle(_ context.Context, id string) client.ScheduleHandle {
	return &triggerHandle{s: s, id: id}
}

type triggerHandle struct {
	client.ScheduleHandle
	s  *triggerSchedules
	id string
}

func (h *triggerHandle) Trigger(context.Context, client.ScheduleTriggerOptions) error {
	if h.s.err != nil {
		return h.s.err
	}
	h.s.triggered = append(h.s.triggered, h.id)
	return nil
}

// A burst asks for a sync by triggering the integration's schedule; a
// missing schedule is not_found (not retried), a failing server retryable.
func TestRequestSyncTriggersTheSchedule(t *testing.T) {
	h, _ := eventsHarness(t)
	sched := &triggerSchedules{}
	h.acts.Schedules = sched
	_, r := call[struct{}](h, nil, h.acts.RequestSync, "acme")
	require.NoError(t, r.err)
	assert.Equal(t, []string{api.ScheduleID("acme")}, sched.triggered)

	sched.err = serviceerror.NewNotFound("schedule not found")
	_, r = call[struct{}](h, nil, h.acts.RequestSync, "acme")
	requireCode(t, r.err, errcode.NotFound, false)
	sched.err = serviceerror.NewUnavailable("try later")
	_, r = call[struct{}](h, nil, h.acts.RequestSync, "acme")
	requireCode(t, r.err, errcode.ServerError, true)
	h.acts.Schedules = nil
	_, r = call[struct{}](h, nil, h.acts.RequestSync, "acme")
	require.Error(t, r.err)
}
