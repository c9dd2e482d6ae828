package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
)

// actionWorkflows maps each action's stable type name to its function, for
// Register.
var actionWorkflows = map[string]any{
	api.ActivateUsersWorkflow:             ActivateUsers,
	api.SuspendUsersWorkflow:              SuspendUsers,
	api.AddUsersToGroupWorkflow:           AddUsersToGroup,
	api.RemoveUsersFromGroupWorkflow:      RemoveUsersFromGroup,
	api.AddUsersToRoleWorkflow:            AddUsersToRole,
	api.RemoveUsersFromRoleWorkflow:       RemoveUsersFromRole,
	api.CheckGroupMembershipWorkflow:      CheckGroupMembership,
	api.GeneratePasswordResetLinkWorkflow: GeneratePasswordResetLink,
	api.SendPasswordResetEmailWorkflow:    SendPasswordResetEmail,
	api.SetUserPasswordWorkflow:           SetUserPassword,
	api.OnboardUserWorkflow:               OnboardUser,
	api.OffboardUserWorkflow:              OffboardUser,
}

// ActivateUsers sets each user's status to active.
func ActivateUsers(ctx workflow.Context, req api.ActionRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, api.ActivateUsersWorkflow, req, bulkStep{verb: "activate", fn: a.ActivateUser,
		engine: activities.StepActivate, again: sameRequest})
}

// SuspendUsers sets each user's status to suspended.
func SuspendUsers(ctx workflow.Context, req api.ActionRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, api.SuspendUsersWorkflow, req, bulkStep{verb: "suspend", fn: a.SuspendUser,
		engine: activities.StepSuspend, again: sameRequest})
}

// AddUsersToGroup moves each user into the group. A OneLogin user has one
// group, so this replaces the current one; ReplacedGroupID says which.
func AddUsersToGroup(ctx workflow.Context, req api.GroupRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, api.AddUsersToGroupWorkflow, req.ActionRequest, bulkStep{verb: "move to the group",
		fn: a.SetUserGroup, check: activities.BeginActionInput{GroupID: req.GroupID},
		with: func(in *activities.UserStepInput) { in.GroupID = req.GroupID }, engine: activities.StepSetGroup, again: groupAgain(req)})
}

// RemoveUsersFromGroup clears the group of each user who is in it; users
// in another group or none are already_done.
func RemoveUsersFromGroup(ctx workflow.Context, req api.GroupRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, api.RemoveUsersFromGroupWorkflow, req.ActionRequest, bulkStep{verb: "remove from the group",
		fn: a.RemoveUserFromGroup, with: func(in *activities.UserStepInput) { in.GroupID = req.GroupID },
		exists: activities.BeginActionInput{GroupID: req.GroupID}, engine: activities.StepRemoveGroup, again: groupAgain(req)})
}

// CheckGroupMembership answers, per user, whether they are in the group
// (InGroup) and which group they are in (GroupID). It changes nothing; each
// answered user is already_done.
func CheckGroupMembership(ctx workflow.Context, req api.GroupRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, api.CheckGroupMembershipWorkflow, req.ActionRequest, bulkStep{verb: "check the group of",
		fn: a.CheckUserGroup, with: func(in *activities.UserStepInput) { in.GroupID = req.GroupID },
		exists: activities.BeginActionInput{GroupID: req.GroupID}, engine: activities.StepCheckGroup, again: groupAgain(req)})
}

// AddUsersToRole assigns the role to each user.
func AddUsersToRole(ctx workflow.Context, req api.RoleRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, api.AddUsersToRoleWorkflow, req.ActionRequest, bulkStep{verb: "add the role to",
		fn: a.AddUserToRole, check: activities.BeginActionInput{RoleIDs: []int64{req.RoleID}},
		with: func(in *activities.UserStepInput) { in.RoleID = req.RoleID }, engine: activities.StepAddRole, again: roleAgain(req)})
}

// RemoveUsersFromRole removes the role from each user who has it.
func RemoveUsersFromRole(ctx workflow.Context, req api.RoleRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, api.RemoveUsersFromRoleWorkflow, req.ActionRequest, bulkStep{verb: "remove the role from",
		fn: a.RemoveUserFromRole, with: func(in *activities.UserStepInput) { in.RoleID = req.RoleID },
		exists: activities.BeginActionInput{RoleIDs: []int64{req.RoleID}}, engine: activities.StepRemoveRole, again: roleAgain(req)})
}

// GeneratePasswordResetLink gets a password reset link for each user (no
// email is sent). Each link is returned sealed and is never logged.
func GeneratePasswordResetLink(ctx workflow.Context, req api.ActionRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, api.GeneratePasswordResetLinkWorkflow, req, bulkStep{verb: "get a reset link for", fn: a.GenerateResetLink,
		engine: activities.StepResetLink, again: sameRequest})
}

// SendPasswordResetEmail has OneLogin email each user a password reset link.
func SendPasswordResetEmail(ctx workflow.Context, req api.ActionRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	return runBulk(ctx, api.SendPasswordResetEmailWorkflow, req, bulkStep{verb: "email a reset link to", fn: a.SendResetEmail,
		engine: activities.StepResetEmail, again: sameRequest})
}

// SetUserPassword sets one user's password under OneLogin's password
// policy; a policy failure is invalid_input with OneLogin's message.
func SetUserPassword(ctx workflow.Context, req api.SetPasswordRequest) (api.ActionResult, error) {
	if err := req.Normalize(); err != nil {
		return refused(err)
	}
	one := api.ActionRequest{IntegrationID: req.IntegrationID, RequestID: req.RequestID, RequestedBy: req.RequestedBy, Users: []api.UserRef{req.User}}
	return runBulk(ctx, api.SetUserPasswordWorkflow, one, bulkStep{verb: "set the password of",
		fn: a.SetPassword, with: func(in *activities.UserStepInput) { in.Password = req.Password }})
}

// sameRequest is continue-as-new's request for actions that take an
// ActionRequest.
func sameRequest(r api.ActionRequest) any { return r }

// groupAgain and roleAgain rebuild a group or role request around the
// next run's ActionRequest.
func groupAgain(req api.GroupRequest) func(api.ActionRequest) any {
	return func(r api.ActionRequest) any { req.ActionRequest = r; return req }
}

func roleAgain(req api.RoleRequest) func(api.ActionRequest) any {
	return func(r api.ActionRequest) any { req.ActionRequest = r; return req }
}

// refused fails a workflow whose request does not validate.
func refused(err error) (api.ActionResult, error) { return api.ActionResult{}, refuse(err) }
