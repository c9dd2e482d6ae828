package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// BeginActionInput names what an action is about to touch.
type BeginActionInput struct {
	IntegrationID string
	// GroupID and RoleIDs, when set, must exist in OneLogin: a typo fails
	// the action once instead of once per user.
	GroupID int64   `json:",omitempty"`
	RoleIDs []int64 `json:",omitempty"`
}

// BeginActionResult is what the action may use.
type BeginActionResult struct {
	Scope     string
	GroupName string   `json:",omitempty"`
	RoleNames []string `json:",omitempty"` // in RoleIDs order
}

// BeginAction refuses an action the integration cannot carry out, before
// any OneLogin call: a disconnected integration (not_found), one whose
// credential failed (its code), and a scope below Manage All
// (insufficient_scope). Then it checks that the named group and roles
// exist.
func (a *Activities) BeginAction(ctx context.Context, in BeginActionInput) (BeginActionResult, error) {
	rec, err := a.Store.GetIntegration(ctx, in.IntegrationID)
	if errors.Is(err, directory.ErrNotFound) {
		return BeginActionResult{}, failure(errcode.NotFound, "integration "+in.IntegrationID+" is not connected")
	}
	if err != nil {
		return BeginActionResult{}, appError(err)
	}
	switch code := CodeOfStatus(rec.Status); {
	case rec.Status == directory.StatusDisconnected:
		return BeginActionResult{}, failure(errcode.NotFound, "integration "+in.IntegrationID+" is disconnected")
	case code.CredentialProblem():
		return BeginActionResult{}, failure(code, StatusMessage(code, string(rec.ScopeLevel), rec.Subdomain))
	case rec.ScopeLevel != directory.ScopeManageAll:
		return BeginActionResult{}, failure(errcode.InsufficientScope,
			StatusMessage(errcode.InsufficientScope, string(rec.ScopeLevel), rec.Subdomain))
	}
	res := BeginActionResult{Scope: string(rec.ScopeLevel)}
	if in.GroupID == 0 && len(in.RoleIDs) == 0 {
		return res, nil
	}
	c, err := a.Clients.ForIntegration(rec)
	if err != nil {
		return BeginActionResult{}, err
	}
	if in.GroupID != 0 {
		if err := a.v1Budget(c); err != nil {
			return BeginActionResult{}, err
		}
		g, err := c.GetGroup(ctx, in.GroupID)
		if err != nil {
			return BeginActionResult{}, missing(err, "group", in.GroupID)
		}
		res.GroupName = g.Name
	}
	for _, id := range in.RoleIDs {
		r, err := c.GetRole(ctx, id)
		if err != nil {
			return BeginActionResult{}, missing(err, "role", id)
		}
		res.RoleNames = append(res.RoleNames, r.Name)
	}
	return res, nil
}

// missing names the group or role OneLogin does not have.
func missing(err error, what string, id int64) error {
	if onelogin.CodeOf(err) == errcode.NotFound {
		return failure(errcode.NotFound, fmt.Sprintf("%s %d does not exist in OneLogin", what, id))
	}
	return appError(err)
}

// AuditInput is one action's entry in the audit log.
type AuditInput struct {
	IntegrationID string
	RequestID     string
	Actor         string
	Action        string
	Targets       []directory.AuditTarget
}

// RecordAction appends the action to the audit log. The store keeps one
// entry per integration, request id and action, so a retry adds nothing.
func (a *Activities) RecordAction(ctx context.Context, in AuditInput) (int64, error) {
	id, err := a.Store.AppendAudit(ctx, directory.AuditEntry{IntegrationID: in.IntegrationID, Actor: in.Actor,
		Action: in.Action, RequestID: in.RequestID, At: a.now(), Targets: in.Targets})
	return id, appError(err)
}
