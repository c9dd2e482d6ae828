package workflows

import (
	"strconv"

	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
)

// plannedStep is one step of onboarding or offboarding: its own activity
// (a local one under changeLocalSteps), so a failure retries (and a retry
// resumes) at that step alone.
type plannedStep struct {
	name string
	verb string
	fn   any // nil: nothing to do, already_done
	with func(*activities.UserStepInput)
}

// OnboardUser prepares an existing user: activate, set the group, add the
// roles, then a password reset link (returned sealed) or email. Every step
// skips what is already true; the first failing step ends the onboarding and
// the later ones are reported skipped.
func OnboardUser(ctx workflow.Context, req api.OnboardRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	w := &actionWorkflow{req: api.ActionRequest{IntegrationID: req.IntegrationID, RequestID: req.RequestID,
		RequestedBy: req.RequestedBy, Users: []api.UserRef{req.User}}}
	return w.runSteps(ctx, api.OnboardUserWorkflow, activities.BeginActionInput{GroupID: req.GroupID, RoleIDs: req.RoleIDs},
		func(activities.UserStepResult) []plannedStep {
			var plan []plannedStep
			if req.Activate {
				plan = append(plan, plannedStep{name: "activate", verb: "activate", fn: a.ActivateUser})
			}
			if req.GroupID != 0 {
				plan = append(plan, plannedStep{name: "set_group", verb: "set the group of", fn: a.SetUserGroup,
					with: func(in *activities.UserStepInput) { in.GroupID = req.GroupID }})
			}
			for _, id := range req.RoleIDs {
				plan = append(plan, roleStep("add_role", "add role "+strconv.FormatInt(id, 10)+" to", a.AddUserToRole, id))
			}
			switch req.Reset {
			case api.ResetLink:
				plan = append(plan, plannedStep{name: "reset_link", verb: "get a reset link for", fn: a.GenerateResetLink})
			case api.ResetEmail:
				plan = append(plan, plannedStep{name: "reset_email", verb: "email a reset link to", fn: a.SendResetEmail})
			}
			return plan
		})
}

// OffboardUser shuts a user out: suspend, log out, remove every role and
// clear the group, as asked. Access goes first (suspend, then end the
// sessions already open) so that a later failure leaves the user locked out
// rather than merely tidied.
func OffboardUser(ctx workflow.Context, req api.OffboardRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	w := &actionWorkflow{req: api.ActionRequest{IntegrationID: req.IntegrationID, RequestID: req.RequestID,
		RequestedBy: req.RequestedBy, Users: []api.UserRef{req.User}}}
	return w.runSteps(ctx, api.OffboardUserWorkflow, activities.BeginActionInput{},
		func(found activities.UserStepResult) []plannedStep {
			var plan []plannedStep
			if req.Suspend {
				plan = append(plan, plannedStep{name: "suspend", verb: "suspend", fn: a.SuspendUser})
			}
			if req.Logout {
				plan = append(plan, plannedStep{name: "logout", verb: "end the sessions of", fn: a.LogoutUser})
			}
			if req.RemoveRoles {
				for _, id := range found.RoleIDs {
					plan = append(plan, roleStep("remove_role", "remove role "+strconv.FormatInt(id, 10)+" from", a.RemoveUserFromRole, id))
				}
				if len(found.RoleIDs) == 0 {
					plan = append(plan, plannedStep{name: "remove_roles"})
				}
			}
			if req.ClearGroup {
				// Group 0: whatever group the user is in.
				plan = append(plan, plannedStep{name: "clear_group", verb: "clear the group of", fn: a.RemoveUserFromGroup})
			}
			return plan
		})
}

func roleStep(name, verb string, fn any, roleID int64) plannedStep {
	return plannedStep{name: name + ":" + strconv.FormatInt(roleID, 10), verb: verb, fn: fn,
		with: func(in *activities.UserStepInput) { in.RoleID = roleID }}
}

// runSteps resolves the one user, plans the steps from what it found, and
// runs them in order.
func (w *actionWorkflow) runSteps(ctx workflow.Context, name string, check activities.BeginActionInput,
	plan func(activities.UserStepResult) []plannedStep) (api.ActionResult, error) {
	if err := w.setup(ctx, name); err != nil {
		return api.ActionResult{}, err
	}
	w.localSteps = workflow.GetVersion(ctx, changeLocalSteps, workflow.DefaultVersion, 1) == 1
	if _, err := w.begin(ctx, check); err != nil {
		return api.ActionResult{}, err
	}
	err := w.forEachUser(ctx, func(ctx workflow.Context, ref api.UserRef) api.UserResult {
		var found activities.UserStepResult
		if err := w.call(ctx, userStepOpts("find "+ref.String()), a.ResolveUser, w.stepInput(ref)).Get(ctx, &found); err != nil {
			return failedUser(ref, err)
		}
		return w.sequence(ctx, ref, found, plan(found))
	})
	if err != nil {
		return api.ActionResult{}, w.interrupted(ctx, err)
	}
	return w.finish(ctx)
}

// sequence runs the planned steps for a resolved user, by id from here on.
func (w *actionWorkflow) sequence(ctx workflow.Context, ref api.UserRef, found activities.UserStepResult, plan []plannedStep) api.UserResult {
	res := api.UserResult{User: ref, UserID: found.UserID, Outcome: api.OutcomeAlreadyDone}
	w.resolved(ctx, ref, found.UserID)
	byID := api.UserRef{ID: found.UserID}
	for _, s := range plan {
		step := api.StepResult{Step: s.name, Outcome: api.OutcomeAlreadyDone}
		switch {
		case res.Outcome == api.OutcomeFailed:
			step.Outcome = api.StepSkipped
		case s.fn != nil:
			in := w.stepInput(byID)
			if s.with != nil {
				s.with(&in)
			}
			var r activities.UserStepResult
			if err := w.call(ctx, userStepOpts(s.verb+" "+ref.String()), s.fn, in).Get(ctx, &r); err != nil {
				f := failedUser(ref, err)
				step.Outcome, step.Code, step.Message = api.OutcomeFailed, f.Code, f.Message
				res.Outcome, res.Code, res.Message = api.OutcomeFailed, f.Code, s.name+": "+f.Message
				break
			}
			step.Outcome = r.Outcome
			if r.PreviousGroupID != 0 {
				res.ReplacedGroupID = r.PreviousGroupID
			}
			if !r.ResetLink.IsZero() {
				res.ResetLink = r.ResetLink
			}
			if r.Outcome == api.OutcomeChanged {
				res.Outcome = api.OutcomeChanged
			}
		}
		res.Steps = append(res.Steps, step)
	}
	return res
}
