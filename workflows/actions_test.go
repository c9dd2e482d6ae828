package workflows

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
)

// actionEnv is a test env where the integration may act and the audit
// entry is captured.
type actionEnv struct {
	*testsuite.TestWorkflowEnvironment
	mu     sync.Mutex
	audits []activities.AuditInput
	begins []activities.BeginActionInput
	calls  []string // step activity calls, "Activity:user"
}

func newActionEnv(t *testing.T) *actionEnv {
	env := newBulkEnv(t)
	// These tests cover the per-user path, which runs started before the
	// bulk engine still take when they replay.
	env.OnGetVersion(changeBulkEngine, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	return env
}

// newBulkEnv is an actionEnv on today's code: bulk actions run on the bulk
// engine.
func newBulkEnv(t *testing.T) *actionEnv {
	env := &actionEnv{TestWorkflowEnvironment: newEnv(t)}
	env.OnActivity(a.BeginAction, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.BeginActionInput) (activities.BeginActionResult, error) {
		env.mu.Lock()
		defer env.mu.Unlock()
		env.begins = append(env.begins, in)
		return activities.BeginActionResult{Scope: "manage_all"}, nil
	})
	env.OnActivity(a.RecordAction, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AuditInput) (int64, error) {
		env.mu.Lock()
		defer env.mu.Unlock()
		env.audits = append(env.audits, in)
		return int64(len(env.audits)), nil
	})
	return env
}

// step mocks a per-user activity with a function of the input.
func (env *actionEnv) step(fn any, name string, do func(in activities.UserStepInput) (activities.UserStepResult, error)) {
	env.OnActivity(fn, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.UserStepInput) (activities.UserStepResult, error) {
		env.mu.Lock()
		env.calls = append(env.calls, name+":"+in.User.String())
		env.mu.Unlock()
		return do(in)
	})
}

func (env *actionEnv) result(t *testing.T) api.ActionResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res api.ActionResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func ok(id int64, outcome string) (activities.UserStepResult, error) {
	return activities.UserStepResult{UserID: id, Outcome: outcome}, nil
}

func refusedUser(code errcode.Code, msg string, id int64) error {
	return temporal.NewNonRetryableApplicationError(msg, string(code), nil, activities.UserStepResult{UserID: id})
}

func bulk(users ...api.UserRef) api.ActionRequest {
	return api.ActionRequest{IntegrationID: "acme-tenant", RequestID: "req-1", RequestedBy: "agent@acme", Users: users}
}

func TestSuspendUsersPartialFailure(t *testing.T) {
	env := newActionEnv(t)
	flaky := 0
	env.step(a.SuspendUser, "suspend", func(in activities.UserStepInput) (activities.UserStepResult, error) {
		assert.Equal(t, "acme-tenant", in.IntegrationID)
		assert.False(t, in.Since.IsZero(), "steps learn when the action began")
		switch in.User {
		case api.UserRef{ID: 11}:
			return ok(11, api.OutcomeChanged)
		case api.UserRef{Email: "ghost@acme.com"}:
			return activities.UserStepResult{}, temporal.NewNonRetryableApplicationError("no OneLogin user has email ghost@acme.com", string(errcode.NotFound), nil)
		case api.UserRef{Username: "flaky"}:
			if flaky++; flaky < 3 {
				return activities.UserStepResult{}, temporal.NewApplicationError("502 from OneLogin", string(errcode.ServerError))
			}
			return ok(13, api.OutcomeAlreadyDone)
		case api.UserRef{Email: "bob@acme.com"}:
			return activities.UserStepResult{}, refusedUser(errcode.InvalidInput, "Validation failed: Status is not included in the list", 14)
		}
		return activities.UserStepResult{}, temporal.NewNonRetryableApplicationError("unexpected", "test", nil)
	})

	env.ExecuteWorkflow(SuspendUsers, bulk(api.UserRef{ID: 11}, api.UserRef{Email: " ghost@acme.com "}, api.UserRef{Username: "flaky"}, api.UserRef{Email: "bob@acme.com"}))
	res := env.result(t)
	require.Len(t, res.Users, 4)
	assert.Equal(t, api.SuspendUsersWorkflow, res.Action)
	assert.Equal(t, api.UserResult{User: api.UserRef{ID: 11}, UserID: 11, Outcome: api.OutcomeChanged}, res.Users[0])
	assert.Equal(t, api.UserResult{User: api.UserRef{Email: "ghost@acme.com"}, Outcome: api.OutcomeFailed, Code: errcode.NotFound,
		Message: "no OneLogin user has email ghost@acme.com"}, res.Users[1], "an unknown user fails alone, trimmed ref kept")
	assert.Equal(t, api.UserResult{User: api.UserRef{Username: "flaky"}, UserID: 13, Outcome: api.OutcomeAlreadyDone}, res.Users[2])
	assert.Equal(t, 3, flaky, "a transient failure retries")
	assert.Equal(t, api.OutcomeFailed, res.Users[3].Outcome)
	assert.Equal(t, errcode.InvalidInput, res.Users[3].Code)
	assert.EqualValues(t, 14, res.Users[3].UserID, "a refused user still names its OneLogin id")
	assert.Equal(t, []int{1, 1, 2}, []int{res.Changed, res.AlreadyDone, res.Failed})

	require.Len(t, env.audits, 1, "one audit entry per run")
	au := env.audits[0]
	assert.Equal(t, activities.AuditInput{IntegrationID: "acme-tenant", RequestID: "req-1", Actor: "agent@acme", Action: "suspend_users",
		Targets: []directory.AuditTarget{
			{UserID: 11, Outcome: directory.OutcomeChanged},
			{UserID: 0, Outcome: directory.OutcomeFailed, ErrorCode: string(errcode.NotFound)},
			{UserID: 13, Outcome: directory.OutcomeAlreadyDone},
			{UserID: 14, Outcome: directory.OutcomeFailed, ErrorCode: string(errcode.InvalidInput)},
		}}, au)
}

func TestActionRefusedWithoutManageAll(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.BeginAction, mock.Anything, activities.BeginActionInput{IntegrationID: "acme-tenant"}).Return(activities.BeginActionResult{},
		temporal.NewNonRetryableApplicationError("The API credential's scope is too narrow (it has read_all).", string(errcode.InsufficientScope), nil)).Once()
	env.ExecuteWorkflow(SuspendUsers, bulk(api.UserRef{ID: 1}, api.UserRef{ID: 2}))
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.Equal(t, errcode.InsufficientScope, errcode.Of(err))
	assert.Contains(t, err.Error(), "it has read_all")
	env.AssertExpectations(t)
	env.AssertNotCalled(t, "SuspendUser", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "RecordAction", mock.Anything, mock.Anything)
}

func TestActionRefusesBadInput(t *testing.T) {
	for name, req := range map[string]api.ActionRequest{
		"no users":          bulk(),
		"bad request id":    {IntegrationID: "acme-tenant", RequestID: "a/b", Users: []api.UserRef{{ID: 1}}},
		"no request id":     {IntegrationID: "acme-tenant", Users: []api.UserRef{{ID: 1}}},
		"two ways to name":  bulk(api.UserRef{ID: 1, Email: "x@acme.com"}),
		"empty ref":         bulk(api.UserRef{Email: "  "}),
		"wildcard email":    bulk(api.UserRef{Email: "*@acme.com"}),
		"negated username":  bulk(api.UserRef{Username: "!admin"}),
		"email without @":   bulk(api.UserRef{Email: "jane"}),
		"negative id":       bulk(api.UserRef{ID: -4}),
		"parallelism 51":    {IntegrationID: "acme-tenant", RequestID: "r", Users: []api.UserRef{{ID: 1}}, Parallelism: 51},
		"too many users":    bulk(slices.Repeat([]api.UserRef{{ID: 1}}, api.MaxExplicitUsers+1)...),
		"bad integration":   {IntegrationID: "acme tenant", RequestID: "r", Users: []api.UserRef{{ID: 1}}},
		"negative parallel": {IntegrationID: "acme-tenant", RequestID: "r", Users: []api.UserRef{{ID: 1}}, Parallelism: -1},
	} {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t)
			env.ExecuteWorkflow(ActivateUsers, req)
			assert.Equal(t, errcode.InvalidInput, errcode.Of(env.GetWorkflowError()))
			env.AssertNotCalled(t, "BeginAction", mock.Anything, mock.Anything)
		})
	}
	t.Run("group id", func(t *testing.T) {
		env := newEnv(t)
		env.ExecuteWorkflow(AddUsersToGroup, api.GroupRequest{ActionRequest: bulk(api.UserRef{ID: 1})})
		assert.Equal(t, errcode.InvalidInput, errcode.Of(env.GetWorkflowError()))
		assert.Contains(t, env.GetWorkflowError().Error(), "group_id")
	})
}

// A user named twice (by the same reference, in any case) is worked once;
// both positions get the result.
func TestActionWorksEachUserOnce(t *testing.T) {
	env := newActionEnv(t)
	env.step(a.ActivateUser, "activate", func(in activities.UserStepInput) (activities.UserStepResult, error) {
		return ok(map[string]int64{"user 7": 7, "Jane@Acme.com": 8}[in.User.String()], api.OutcomeChanged)
	})
	env.ExecuteWorkflow(ActivateUsers, bulk(api.UserRef{ID: 7}, api.UserRef{Email: "Jane@Acme.com"}, api.UserRef{ID: 7}, api.UserRef{Email: "jane@acme.com"}))
	res := env.result(t)
	assert.ElementsMatch(t, []string{"activate:user 7", "activate:Jane@Acme.com"}, env.calls)
	require.Len(t, res.Users, 4)
	assert.EqualValues(t, 7, res.Users[2].UserID)
	assert.Equal(t, api.UserRef{Email: "jane@acme.com"}, res.Users[3].User, "each position keeps its own reference")
	assert.EqualValues(t, 8, res.Users[3].UserID)
	assert.Equal(t, "onelogin-action/acme-tenant/req-1", api.ActionWorkflowID("acme-tenant", "req-1"))
	require.Len(t, env.audits, 1)
	assert.Equal(t, "req-1", env.audits[0].RequestID, "the audit entry is keyed by the request id, so a retried append adds nothing")
}

func TestActionParallelismIsBounded(t *testing.T) {
	env := newActionEnv(t)
	var mu sync.Mutex
	inFlight, peak := 0, 0
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "SuspendUser" {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			mu.Unlock()
		}
	})
	env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
		if info.ActivityType.Name == "SuspendUser" {
			mu.Lock()
			inFlight--
			mu.Unlock()
		}
	})
	env.OnActivity(a.SuspendUser, mock.Anything, mock.Anything).After(time.Second).Return(activities.UserStepResult{UserID: 1, Outcome: api.OutcomeChanged}, nil)
	req := bulk()
	for i := range 12 {
		req.Users = append(req.Users, api.UserRef{ID: int64(i + 1)})
	}
	req.Parallelism = 3
	env.ExecuteWorkflow(SuspendUsers, req)
	res := env.result(t)
	assert.Equal(t, 12, res.Changed)
	assert.Equal(t, 3, peak, "three users at a time")
}

// Once the credential stops working, the remaining users are not sent to
// OneLogin; each is reported.
func TestActionStopsWhenTheCredentialFails(t *testing.T) {
	env := newActionEnv(t)
	env.step(a.SuspendUser, "suspend", func(in activities.UserStepInput) (activities.UserStepResult, error) {
		if in.User.ID == 1 {
			return ok(1, api.OutcomeChanged)
		}
		return activities.UserStepResult{}, temporal.NewNonRetryableApplicationError("Insufficient Permission", string(errcode.InsufficientScope), nil)
	})
	req := bulk(api.UserRef{ID: 1}, api.UserRef{ID: 2}, api.UserRef{ID: 3}, api.UserRef{ID: 4})
	req.Parallelism = 1
	env.ExecuteWorkflow(SuspendUsers, req)
	res := env.result(t)
	assert.Equal(t, []string{"suspend:user 1", "suspend:user 2"}, env.calls)
	assert.Equal(t, api.OutcomeChanged, res.Users[0].Outcome)
	for _, u := range res.Users[1:] {
		assert.Equal(t, api.OutcomeFailed, u.Outcome)
		assert.Equal(t, errcode.InsufficientScope, u.Code)
	}
	assert.Contains(t, res.Users[3].Message, "not attempted")
}

func TestAddUsersToGroupReportsTheReplacedGroup(t *testing.T) {
	env := newActionEnv(t)
	env.step(a.SetUserGroup, "group", func(in activities.UserStepInput) (activities.UserStepResult, error) {
		assert.EqualValues(t, 5, in.GroupID)
		if in.User.ID == 1 {
			return activities.UserStepResult{UserID: 1, Outcome: api.OutcomeChanged, PreviousGroupID: 3}, nil
		}
		return ok(2, api.OutcomeAlreadyDone)
	})
	env.ExecuteWorkflow(AddUsersToGroup, api.GroupRequest{ActionRequest: bulk(api.UserRef{ID: 1}, api.UserRef{ID: 2}), GroupID: 5})
	res := env.result(t)
	assert.EqualValues(t, 3, res.Users[0].ReplacedGroupID)
	assert.Zero(t, res.Users[1].ReplacedGroupID)
	assert.Equal(t, "add_users_to_group", env.audits[0].Action)
	assert.Equal(t, []activities.BeginActionInput{{IntegrationID: "acme-tenant", GroupID: 5}}, env.begins, "the group is checked once, up front")
}

func TestCheckGroupMembershipAnswersPerUser(t *testing.T) {
	env := newActionEnv(t)
	env.step(a.CheckUserGroup, "check", func(in activities.UserStepInput) (activities.UserStepResult, error) {
		if in.User.ID == 1 {
			return activities.UserStepResult{UserID: 1, Outcome: api.OutcomeAlreadyDone, GroupID: 5, InGroup: true}, nil
		}
		return activities.UserStepResult{UserID: 2, Outcome: api.OutcomeAlreadyDone, GroupID: 9}, nil
	})
	env.ExecuteWorkflow(CheckGroupMembership, api.GroupRequest{ActionRequest: bulk(api.UserRef{ID: 1}, api.UserRef{ID: 2}), GroupID: 5})
	res := env.result(t)
	assert.True(t, res.Users[0].InGroup)
	assert.False(t, res.Users[1].InGroup)
	assert.EqualValues(t, 9, res.Users[1].GroupID)
	env.AssertNotCalled(t, "SetUserGroup", mock.Anything, mock.Anything)
}

func TestSetUserPasswordPolicyFailure(t *testing.T) {
	env := newActionEnv(t)
	sealed := testSealed(t)
	env.step(a.SetPassword, "password", func(in activities.UserStepInput) (activities.UserStepResult, error) {
		assert.Equal(t, sealed.String(), in.Password.String(), "the password travels sealed")
		return activities.UserStepResult{}, refusedUser(errcode.InvalidInput, "Validation failed: Password must contain a number", 21)
	})
	env.ExecuteWorkflow(SetUserPassword, api.SetPasswordRequest{IntegrationID: "acme-tenant", RequestID: "pw-1", User: api.UserRef{Username: "jane"}, Password: sealed})
	res := env.result(t)
	require.Len(t, res.Users, 1)
	assert.Equal(t, api.UserResult{User: api.UserRef{Username: "jane"}, UserID: 21, Outcome: api.OutcomeFailed, Code: errcode.InvalidInput,
		Message: "Validation failed: Password must contain a number"}, res.Users[0])

	env2 := newEnv(t)
	env2.ExecuteWorkflow(SetUserPassword, api.SetPasswordRequest{IntegrationID: "acme-tenant", RequestID: "pw-1", User: api.UserRef{Username: "jane"}})
	assert.Equal(t, errcode.InvalidInput, errcode.Of(env2.GetWorkflowError()), "no password, no start")
}

func TestGeneratePasswordResetLinkReturnsItSealed(t *testing.T) {
	env := newActionEnv(t)
	link := testSealed(t)
	env.step(a.GenerateResetLink, "link", func(activities.UserStepInput) (activities.UserStepResult, error) {
		return activities.UserStepResult{UserID: 3, Outcome: api.OutcomeChanged, ResetLink: link}, nil
	})
	env.ExecuteWorkflow(GeneratePasswordResetLink, bulk(api.UserRef{ID: 3}))
	res := env.result(t)
	assert.Equal(t, link.String(), res.Users[0].ResetLink.String())
}

func onboardRequest() api.OnboardRequest {
	return api.OnboardRequest{IntegrationID: "acme-tenant", RequestID: "onb-1", RequestedBy: "hr@acme", User: api.UserRef{Email: "new@acme.com"},
		Activate: true, GroupID: 5, RoleIDs: []int64{10, 11}, Reset: api.ResetLink}
}

func TestOnboardUserRunsEachStepOnce(t *testing.T) {
	env := newActionEnv(t)
	link := testSealed(t)
	env.step(a.ResolveUser, "resolve", func(activities.UserStepInput) (activities.UserStepResult, error) {
		return ok(42, api.OutcomeAlreadyDone)
	})
	env.step(a.ActivateUser, "activate", func(activities.UserStepInput) (activities.UserStepResult, error) { return ok(42, api.OutcomeChanged) })
	groupAttempts := 0
	env.step(a.SetUserGroup, "group", func(in activities.UserStepInput) (activities.UserStepResult, error) {
		if groupAttempts++; groupAttempts == 1 {
			return activities.UserStepResult{}, temporal.NewApplicationError("connection reset", string(errcode.Network))
		}
		return activities.UserStepResult{UserID: 42, Outcome: api.OutcomeChanged, PreviousGroupID: 3}, nil
	})
	env.step(a.AddUserToRole, "role", func(in activities.UserStepInput) (activities.UserStepResult, error) {
		if in.RoleID == 10 {
			return ok(42, api.OutcomeAlreadyDone)
		}
		return ok(42, api.OutcomeChanged)
	})
	env.step(a.GenerateResetLink, "link", func(activities.UserStepInput) (activities.UserStepResult, error) {
		return activities.UserStepResult{UserID: 42, Outcome: api.OutcomeChanged, ResetLink: link}, nil
	})
	env.ExecuteWorkflow(OnboardUser, onboardRequest())
	res := env.result(t)
	assert.Equal(t, []activities.BeginActionInput{{IntegrationID: "acme-tenant", GroupID: 5, RoleIDs: []int64{10, 11}}}, env.begins)
	require.Len(t, res.Users, 1)
	u := res.Users[0]
	assert.Equal(t, api.OutcomeChanged, u.Outcome)
	assert.EqualValues(t, 42, u.UserID)
	assert.EqualValues(t, 3, u.ReplacedGroupID)
	assert.Equal(t, link.String(), u.ResetLink.String())
	assert.Equal(t, []api.StepResult{{Step: "activate", Outcome: api.OutcomeChanged}, {Step: "set_group", Outcome: api.OutcomeChanged},
		{Step: "add_role:10", Outcome: api.OutcomeAlreadyDone}, {Step: "add_role:11", Outcome: api.OutcomeChanged},
		{Step: "reset_link", Outcome: api.OutcomeChanged}}, u.Steps)
	// The retry resumed at the group step: the steps before it ran once,
	// and every step after resolving names the user by id.
	assert.Equal(t, []string{"resolve:new@acme.com", "activate:user 42", "group:user 42", "group:user 42",
		"role:user 42", "role:user 42", "link:user 42"}, env.calls)
	require.Len(t, env.audits, 1)
	assert.Equal(t, activities.AuditInput{IntegrationID: "acme-tenant", RequestID: "onb-1", Actor: "hr@acme", Action: "onboard_user",
		Targets: []directory.AuditTarget{{UserID: 42, Outcome: directory.OutcomeChanged}}}, env.audits[0])
}

func TestOnboardUserStopsAtAFailedStep(t *testing.T) {
	env := newActionEnv(t)
	env.step(a.ResolveUser, "resolve", func(activities.UserStepInput) (activities.UserStepResult, error) {
		return ok(42, api.OutcomeAlreadyDone)
	})
	env.step(a.ActivateUser, "activate", func(activities.UserStepInput) (activities.UserStepResult, error) {
		return activities.UserStepResult{}, refusedUser(errcode.InvalidInput, "Status cannot be Active for a user without a password", 42)
	})
	env.ExecuteWorkflow(OnboardUser, onboardRequest())
	res := env.result(t)
	u := res.Users[0]
	assert.Equal(t, api.OutcomeFailed, u.Outcome)
	assert.Equal(t, errcode.InvalidInput, u.Code)
	assert.Equal(t, "activate: Status cannot be Active for a user without a password", u.Message)
	assert.Equal(t, []string{api.OutcomeFailed, api.StepSkipped, api.StepSkipped, api.StepSkipped, api.StepSkipped}, stepOutcomes(u.Steps))
	env.AssertNotCalled(t, "SetUserGroup", mock.Anything, mock.Anything)
	assert.Equal(t, []directory.AuditTarget{{UserID: 42, Outcome: directory.OutcomeFailed, ErrorCode: string(errcode.InvalidInput)}}, env.audits[0].Targets)
}

func TestOnboardUnknownUser(t *testing.T) {
	env := newActionEnv(t)
	env.step(a.ResolveUser, "resolve", func(activities.UserStepInput) (activities.UserStepResult, error) {
		return activities.UserStepResult{}, temporal.NewNonRetryableApplicationError("no OneLogin user has email new@acme.com", string(errcode.NotFound), nil)
	})
	env.ExecuteWorkflow(OnboardUser, onboardRequest())
	res := env.result(t)
	assert.Equal(t, errcode.NotFound, res.Users[0].Code)
	assert.Equal(t, 1, res.Failed)
}

func stepOutcomes(steps []api.StepResult) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Outcome
	}
	return out
}

func TestOffboardUserTakesAccessFirst(t *testing.T) {
	env := newActionEnv(t)
	env.step(a.ResolveUser, "resolve", func(activities.UserStepInput) (activities.UserStepResult, error) {
		return activities.UserStepResult{UserID: 9, Outcome: api.OutcomeAlreadyDone, GroupID: 4, RoleIDs: []int64{10, 11}}, nil
	})
	env.step(a.SuspendUser, "suspend", func(activities.UserStepInput) (activities.UserStepResult, error) {
		return ok(9, api.OutcomeAlreadyDone)
	})
	env.step(a.LogoutUser, "logout", func(activities.UserStepInput) (activities.UserStepResult, error) { return ok(9, api.OutcomeChanged) })
	env.step(a.RemoveUserFromRole, "unrole", func(in activities.UserStepInput) (activities.UserStepResult, error) { return ok(9, api.OutcomeChanged) })
	env.step(a.RemoveUserFromGroup, "ungroup", func(in activities.UserStepInput) (activities.UserStepResult, error) {
		assert.Zero(t, in.GroupID, "clearing means whatever group the user is in")
		return activities.UserStepResult{UserID: 9, Outcome: api.OutcomeChanged, PreviousGroupID: 4}, nil
	})
	env.ExecuteWorkflow(OffboardUser, api.OffboardRequest{IntegrationID: "acme-tenant", RequestID: "off-1", User: api.UserRef{Username: "leaver"},
		Suspend: true, Logout: true, RemoveRoles: true, ClearGroup: true})
	res := env.result(t)
	u := res.Users[0]
	assert.Equal(t, api.OutcomeChanged, u.Outcome)
	assert.Equal(t, []api.StepResult{{Step: "suspend", Outcome: api.OutcomeAlreadyDone}, {Step: "logout", Outcome: api.OutcomeChanged},
		{Step: "remove_role:10", Outcome: api.OutcomeChanged}, {Step: "remove_role:11", Outcome: api.OutcomeChanged},
		{Step: "clear_group", Outcome: api.OutcomeChanged}}, u.Steps)
	assert.Equal(t, []string{"resolve:leaver", "suspend:user 9", "logout:user 9", "unrole:user 9", "unrole:user 9", "ungroup:user 9"}, env.calls)
	assert.EqualValues(t, 4, u.ReplacedGroupID)
}

func TestOffboardNeedsAStep(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(OffboardUser, api.OffboardRequest{IntegrationID: "acme-tenant", RequestID: "off-1", User: api.UserRef{ID: 3}})
	assert.Equal(t, errcode.InvalidInput, errcode.Of(env.GetWorkflowError()))
}

// The audit entry is the last step; if it cannot be written the failure
// still carries every user's outcome.
func TestActionAuditFailureKeepsTheResult(t *testing.T) {
	env := newEnv(t)
	env.OnGetVersion(changeBulkEngine, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion) // the per-user path
	env.OnActivity(a.BeginAction, mock.Anything, mock.Anything).Return(activities.BeginActionResult{}, nil)
	env.OnActivity(a.SuspendUser, mock.Anything, mock.Anything).Return(activities.UserStepResult{UserID: 1, Outcome: api.OutcomeChanged}, nil)
	env.OnActivity(a.RecordAction, mock.Anything, mock.Anything).Return(int64(0),
		temporal.NewNonRetryableApplicationError("directory: integration not found", string(errcode.NotFound), nil))
	env.ExecuteWorkflow(SuspendUsers, bulk(api.UserRef{ID: 1}))
	err := env.GetWorkflowError()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	var res api.ActionResult
	require.NoError(t, ae.Details(&res))
	assert.Equal(t, 1, res.Changed)
}

func TestAuditActionNames(t *testing.T) {
	for name := range actionWorkflows {
		got := AuditAction(name)
		assert.Equal(t, strings.ToLower(got), got)
		assert.NotContains(t, got, "__")
	}
	assert.Equal(t, "generate_password_reset_link", AuditAction(api.GeneratePasswordResetLinkWorkflow))
	assert.Equal(t, "remove_users_from_role", AuditAction(api.RemoveUsersFromRoleWorkflow))
}

func TestActionDetailsShowProgress(t *testing.T) {
	env := newActionEnv(t)
	env.OnActivity(a.ActivateUser, mock.Anything, mock.Anything).Return(activities.UserStepResult{UserID: 1, Outcome: api.OutcomeChanged}, nil)
	req := bulk()
	for i := range 25 {
		req.Users = append(req.Users, api.UserRef{ID: int64(i + 1)})
	}
	env.ExecuteWorkflow(ActivateUsers, req)
	require.NoError(t, env.GetWorkflowError())
	v, err := env.QueryWorkflow(api.ProgressQuery)
	require.NoError(t, err)
	var res api.ActionResult
	require.NoError(t, v.Get(&res))
	assert.Len(t, res.Users, 25)
	assert.Equal(t, 25, res.Changed)
}

// A 429 waits for the reset OneLogin announced; the other users go on.
func TestActionRateLimitWaitsForAnnouncedReset(t *testing.T) {
	env := newActionEnv(t)
	var mu sync.Mutex
	var attempts []time.Time
	env.step(a.SendResetEmail, "email", func(in activities.UserStepInput) (activities.UserStepResult, error) {
		if in.User.ID != 1 {
			return ok(in.User.ID, api.OutcomeChanged)
		}
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, env.Now())
		if len(attempts) == 1 {
			return activities.UserStepResult{}, temporal.NewApplicationErrorWithOptions("429", string(errcode.RateLimited),
				temporal.ApplicationErrorOptions{NextRetryDelay: 40 * time.Minute})
		}
		return ok(1, api.OutcomeChanged)
	})
	env.ExecuteWorkflow(SendPasswordResetEmail, bulk(api.UserRef{ID: 1}, api.UserRef{ID: 2}))
	res := env.result(t)
	assert.Equal(t, 2, res.Changed)
	require.Len(t, attempts, 2)
	gap := attempts[1].Sub(attempts[0])
	assert.GreaterOrEqual(t, gap, 40*time.Minute, "the retry waited for the announced reset")
	assert.Less(t, gap, 41*time.Minute)
}

// The group check up front spends v1 budget too: when OneLogin announced
// the budget spent, it waits for the reset like the user steps do, rather
// than failing the action with rate_limited.
func TestActionBeginWaitsForAnnouncedReset(t *testing.T) {
	env := newEnv(t)
	env.OnGetVersion(changeBulkEngine, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion) // the per-user path
	var mu sync.Mutex
	var attempts []time.Time
	env.OnActivity(a.BeginAction, mock.Anything, mock.Anything).Return(func(context.Context, activities.BeginActionInput) (activities.BeginActionResult, error) {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, env.Now())
		if len(attempts) == 1 {
			return activities.BeginActionResult{}, temporal.NewApplicationErrorWithOptions("the account's OneLogin rate budget is spent",
				string(errcode.RateLimited), temporal.ApplicationErrorOptions{NextRetryDelay: 50 * time.Minute})
		}
		return activities.BeginActionResult{Scope: "manage_all", GroupName: "Sales"}, nil
	})
	env.OnActivity(a.SetUserGroup, mock.Anything, mock.Anything).Return(activities.UserStepResult{UserID: 1, Outcome: api.OutcomeChanged}, nil)
	env.OnActivity(a.RecordAction, mock.Anything, mock.Anything).Return(int64(1), nil)
	env.ExecuteWorkflow(AddUsersToGroup, api.GroupRequest{ActionRequest: bulk(api.UserRef{ID: 1}), GroupID: 5})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, attempts, 2)
	assert.GreaterOrEqual(t, attempts[1].Sub(attempts[0]), 50*time.Minute, "the retry waited for the announced reset")
}

// TestCancelledActionIsStillAudited: users changed before a cancellation
// stay in the audit log; users never reached are left out.
func TestCancelledActionIsStillAudited(t *testing.T) {
	env := newActionEnv(t)
	for _, id := range []int64{1, 2} {
		call := env.OnActivity(a.SuspendUser, mock.Anything, mock.MatchedBy(func(in activities.UserStepInput) bool { return in.User.ID == id })).
			Return(activities.UserStepResult{UserID: id, Outcome: api.OutcomeChanged}, nil)
		if id == 2 {
			call.After(time.Hour) // still running when the cancel lands
		}
	}
	req := bulk(api.UserRef{ID: 1}, api.UserRef{ID: 2}, api.UserRef{ID: 3})
	req.Parallelism = 1
	env.RegisterDelayedCallback(env.CancelWorkflow, 30*time.Minute)
	env.ExecuteWorkflow(api.SuspendUsersWorkflow, req)
	require.True(t, env.IsWorkflowCompleted())
	require.True(t, temporal.IsCanceledError(env.GetWorkflowError()), "%v", env.GetWorkflowError())
	require.Len(t, env.audits, 1)
	var audited []int64
	for _, tg := range env.audits[0].Targets {
		audited = append(audited, tg.UserID)
		if tg.UserID == 1 {
			assert.Equal(t, directory.OutcomeChanged, tg.Outcome)
		}
	}
	assert.Contains(t, audited, int64(1), "the user changed before the cancel is audited")
	assert.NotContains(t, audited, int64(3), "the user never reached is not")
	env.AssertNotCalled(t, "SuspendUser", mock.Anything, mock.MatchedBy(func(in activities.UserStepInput) bool { return in.User.ID == 3 }))
}

// A resolved user's OneLogin id shows while its steps still run, not 0.
func TestOnboardShowsTheResolvedIDWhileRunning(t *testing.T) {
	env := newActionEnv(t)
	env.OnActivity(a.ResolveUser, mock.Anything, mock.Anything).Return(ok(42, api.OutcomeAlreadyDone))
	env.OnActivity(a.ActivateUser, mock.Anything, mock.Anything).After(time.Minute).Return(ok(42, api.OutcomeChanged))
	env.OnActivity(a.SetUserGroup, mock.Anything, mock.Anything).Return(ok(42, api.OutcomeChanged))
	env.OnActivity(a.AddUserToRole, mock.Anything, mock.Anything).Return(ok(42, api.OutcomeChanged))
	env.OnActivity(a.GenerateResetLink, mock.Anything, mock.Anything).Return(activities.UserStepResult{UserID: 42, Outcome: api.OutcomeChanged, ResetLink: testSealed(t)}, nil)
	var mid api.ActionResult
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(api.ProgressQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
	}, 30*time.Second)
	env.ExecuteWorkflow(OnboardUser, onboardRequest())
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, mid.Users, 1)
	assert.Equal(t, "", mid.Users[0].Outcome, "still running at 30s")
	assert.EqualValues(t, 42, mid.Users[0].UserID)
}

// onboardAllAlreadyDone mocks every onboarding step as already done.
func onboardAllAlreadyDone(env *actionEnv) {
	done := func(activities.UserStepInput) (activities.UserStepResult, error) {
		return ok(42, api.OutcomeAlreadyDone)
	}
	for name, fn := range map[string]any{"resolve": a.ResolveUser, "activate": a.ActivateUser, "group": a.SetUserGroup,
		"role": a.AddUserToRole, "link": a.GenerateResetLink} {
		env.step(fn, name, done)
	}
}

// countActivities counts the regular and the local activities a run starts.
func countActivities(env *actionEnv) (regular, local *[]string) {
	regular, local = new([]string), new([]string)
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		*regular = append(*regular, info.ActivityType.Name)
	})
	env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		*local = append(*local, info.ActivityType.Name)
	})
	return regular, local
}

func TestOnboardStepsAreLocalActivities(t *testing.T) {
	env := newActionEnv(t)
	onboardAllAlreadyDone(env)
	regular, local := countActivities(env)
	env.ExecuteWorkflow(OnboardUser, onboardRequest())
	assert.Equal(t, api.OutcomeAlreadyDone, env.result(t).Users[0].Outcome)
	assert.Empty(t, *regular, "no step goes through the server's activity queue")
	assert.Equal(t, []string{"BeginAction", "ResolveUser", "ActivateUser", "SetUserGroup", "AddUserToRole", "AddUserToRole",
		"GenerateResetLink", "RecordAction"}, *local)
}

// Runs started before changeLocalSteps replay their regular activities.
func TestOnboardBeforeLocalStepsUsesActivities(t *testing.T) {
	env := newActionEnv(t)
	env.OnGetVersion(changeLocalSteps, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	onboardAllAlreadyDone(env)
	regular, local := countActivities(env)
	env.ExecuteWorkflow(OnboardUser, onboardRequest())
	assert.Equal(t, api.OutcomeAlreadyDone, env.result(t).Users[0].Outcome)
	assert.Empty(t, *local)
	assert.Equal(t, []string{"BeginAction", "ResolveUser", "ActivateUser", "SetUserGroup", "AddUserToRole", "AddUserToRole",
		"GenerateResetLink", "RecordAction"}, *regular)
}
