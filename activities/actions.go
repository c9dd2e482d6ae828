package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/seal"
)

// UserStepInput is one step of an action for one user.
type UserStepInput struct {
	IntegrationID string
	RequestID     string
	User          api.UserRef
	// Since is when the action began (the workflow's start). A password or
	// reset email OneLogin records at or after it is this request's own,
	// sent by an attempt that did not live to report it.
	Since    time.Time
	GroupID  int64       `json:",omitempty"`
	RoleID   int64       `json:",omitempty"`
	Password seal.Sealed `json:",omitzero"`
}

// UserStepResult is a step that did not fail. Failures are errors whose
// Type is the code.
type UserStepResult struct {
	UserID  int64
	Outcome string // changed or already_done
	// PreviousGroupID is the group a group change replaced or cleared.
	PreviousGroupID int64 `json:",omitempty"`
	// GroupID and RoleIDs are the user's memberships as read.
	GroupID int64   `json:",omitempty"`
	RoleIDs []int64 `json:",omitempty"`
	InGroup bool    `json:",omitempty"`
	// ResetLink is sealed with ResetLinkAAD: the link lets anyone set the
	// user's password for 24 hours, so it never enters history in clear.
	ResetLink seal.Sealed `json:",omitzero"`
}

// ResolveUser finds the user and reads their memberships; it changes
// nothing. Multi-step actions resolve once and then name the user by id.
func (a *Activities) ResolveUser(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	return a.runStep(ctx, in, func(_ context.Context, s *userStep) (UserStepResult, error) {
		return UserStepResult{Outcome: api.OutcomeAlreadyDone, GroupID: deref(s.user.GroupID), RoleIDs: s.user.RoleIDs}, nil
	})
}

// ActivateUser sets the user's status to active.
func (a *Activities) ActivateUser(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	return a.setStatus(ctx, in, onelogin.StatusActive)
}

// SuspendUser sets the user's status to suspended.
func (a *Activities) SuspendUser(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	return a.setStatus(ctx, in, onelogin.StatusSuspended)
}

func (a *Activities) setStatus(ctx context.Context, in UserStepInput, want onelogin.UserStatus) (UserStepResult, error) {
	return a.runStep(ctx, in, func(ctx context.Context, s *userStep) (UserStepResult, error) {
		if s.user.Status == want {
			return s.done(ctx, false, s.user)
		}
		u, err := s.c.UpdateUser(ctx, s.user.ID, onelogin.UserUpdate{Status: &want})
		if err != nil {
			return UserStepResult{}, err
		}
		if u.Status != want {
			// OneLogin may keep a user without a password out of active
			// (reference §6.5): say so rather than report a change.
			return UserStepResult{}, failure(errcode.InvalidInput, fmt.Sprintf(
				"OneLogin kept the user %s instead of %s; a user without a password needs a reset link first", u.Status, want))
		}
		return s.done(ctx, true, u)
	})
}

// SetUserGroup puts the user in GroupID. OneLogin allows one group per
// user, so this replaces the current group; PreviousGroupID says which.
func (a *Activities) SetUserGroup(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	if in.GroupID <= 0 {
		return UserStepResult{}, failure(errcode.InvalidInput, "group_id must be positive")
	}
	return a.runStep(ctx, in, func(ctx context.Context, s *userStep) (UserStepResult, error) {
		current := deref(s.user.GroupID)
		if current == in.GroupID {
			return s.done(ctx, false, s.user)
		}
		u, err := s.c.UpdateUser(ctx, s.user.ID, onelogin.UserUpdate{GroupID: &in.GroupID})
		if err != nil {
			return UserStepResult{}, err
		}
		res, err := s.done(ctx, true, u)
		res.PreviousGroupID = current
		return res, err
	})
}

// RemoveUserFromGroup clears the user's group when it is GroupID; a user in
// another group or none is left alone (already_done). GroupID 0 clears
// whatever group the user has, as offboarding does.
func (a *Activities) RemoveUserFromGroup(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	return a.runStep(ctx, in, func(ctx context.Context, s *userStep) (UserStepResult, error) {
		current := deref(s.user.GroupID)
		if current == 0 || (in.GroupID != 0 && current != in.GroupID) {
			res, err := s.done(ctx, false, s.user)
			res.GroupID = current
			return res, err
		}
		u, err := s.c.UpdateUser(ctx, s.user.ID, onelogin.UserUpdate{ClearGroup: true})
		if err != nil {
			return UserStepResult{}, err
		}
		res, err := s.done(ctx, true, u)
		res.PreviousGroupID = current
		return res, err
	})
}

// CheckUserGroup answers whether the user is in GroupID. It writes
// nothing, not even the store.
func (a *Activities) CheckUserGroup(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	return a.runStep(ctx, in, func(_ context.Context, s *userStep) (UserStepResult, error) {
		g := deref(s.user.GroupID)
		return UserStepResult{Outcome: api.OutcomeAlreadyDone, GroupID: g, InGroup: g != 0 && g == in.GroupID}, nil
	})
}

// AddUserToRole assigns RoleID to the user.
func (a *Activities) AddUserToRole(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	return a.changeRole(ctx, in, true)
}

// RemoveUserFromRole removes RoleID from the user.
func (a *Activities) RemoveUserFromRole(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	return a.changeRole(ctx, in, false)
}

func (a *Activities) changeRole(ctx context.Context, in UserStepInput, add bool) (UserStepResult, error) {
	if in.RoleID <= 0 {
		return UserStepResult{}, failure(errcode.InvalidInput, "role_id must be positive")
	}
	return a.runStep(ctx, in, func(ctx context.Context, s *userStep) (UserStepResult, error) {
		if slices.Contains(s.user.RoleIDs, in.RoleID) == add {
			return s.done(ctx, false, s.user)
		}
		change := s.c.RemoveRoleUsers
		if add {
			change = s.c.AddRoleUsers
		}
		if err := change(ctx, in.RoleID, []int64{s.user.ID}); err != nil {
			return UserStepResult{}, missing(err, "role", in.RoleID)
		}
		u, err := s.c.GetUser(ctx, s.user.ID)
		if err != nil {
			return UserStepResult{}, err
		}
		if slices.Contains(u.RoleIDs, in.RoleID) != add {
			// A role granted by a mapping stays whatever the role API says
			// (reference §6.7).
			return UserStepResult{}, failure(errcode.Conflict, fmt.Sprintf(
				"OneLogin did not change role %d for the user; a mapping may grant it", in.RoleID))
		}
		return s.done(ctx, true, u)
	})
}

// GenerateResetLink gets a password reset link for the user (no email is
// sent) and returns it sealed.
func (a *Activities) GenerateResetLink(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	return a.runStep(ctx, in, func(ctx context.Context, s *userStep) (UserStepResult, error) {
		if err := s.needEmail(); err != nil {
			return UserStepResult{}, err
		}
		if err := a.v1Budget(s.c); err != nil {
			return UserStepResult{}, err
		}
		link, err := s.c.GetInviteLink(ctx, s.user.Email)
		if err != nil {
			return UserStepResult{}, err
		}
		sealed, err := a.Clients.Keys.Seal(seal.NewSecret(link), api.ResetLinkAAD(in.IntegrationID, in.RequestID))
		if err != nil {
			return UserStepResult{}, appError(err)
		}
		return UserStepResult{Outcome: api.OutcomeChanged, ResetLink: sealed}, nil
	})
}

// SendResetEmail has OneLogin email the user a password reset link. An
// email OneLogin recorded since the action began is this request's own, so
// a retry does not send a second one.
func (a *Activities) SendResetEmail(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	return a.runStep(ctx, in, func(ctx context.Context, s *userStep) (UserStepResult, error) {
		if s.since(s.user.InvitationSentAt) {
			return UserStepResult{Outcome: api.OutcomeAlreadyDone}, nil
		}
		if err := s.needEmail(); err != nil {
			return UserStepResult{}, err
		}
		if err := a.v1Budget(s.c); err != nil {
			return UserStepResult{}, err
		}
		if err := s.c.SendInviteLink(ctx, s.user.Email, ""); err != nil {
			return UserStepResult{}, err
		}
		return s.done(ctx, true, s.user)
	})
}

// SetPassword sets the user's password, opened from its seal here and
// nowhere else, with OneLogin's password policy applied: a policy failure is
// invalid_input with OneLogin's message. A password changed since the action
// began was set by this request (or superseded by a newer change) and is not
// set again.
func (a *Activities) SetPassword(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	if in.Password.IsZero() {
		return UserStepResult{}, failure(errcode.InvalidInput, "password is empty")
	}
	pw, err := a.Clients.Keys.Open(in.Password, api.PasswordAAD(in.IntegrationID, in.RequestID))
	if err != nil {
		// Retryable, like a client secret: a worker with the right keys opens it.
		return UserStepResult{}, appError(errors.New("cannot open the sealed password: check the worker's sealing keys"))
	}
	if pw.IsZero() {
		return UserStepResult{}, failure(errcode.InvalidInput, "password is empty")
	}
	return a.runStep(ctx, in, func(ctx context.Context, s *userStep) (UserStepResult, error) {
		if s.since(s.user.PasswordChangedAt) {
			return UserStepResult{Outcome: api.OutcomeAlreadyDone}, nil
		}
		text := pw.Reveal()
		u, err := s.c.UpdateUser(ctx, s.user.ID, onelogin.UserUpdate{Password: &text})
		if err != nil {
			return UserStepResult{}, redact(err, text)
		}
		return s.done(ctx, true, u)
	})
}

// LogoutUser ends all of the user's sessions. Sessions are not visible
// through the API, so there is nothing to compare first; ending them again
// is harmless.
func (a *Activities) LogoutUser(ctx context.Context, in UserStepInput) (UserStepResult, error) {
	return a.runStep(ctx, in, func(ctx context.Context, s *userStep) (UserStepResult, error) {
		if err := a.v1Budget(s.c); err != nil {
			return UserStepResult{}, err
		}
		if err := s.c.LogoutUser(ctx, s.user.ID); err != nil {
			return UserStepResult{}, err
		}
		return UserStepResult{Outcome: api.OutcomeChanged}, nil
	})
}

// redact keeps a password out of a OneLogin error's message, in case a
// policy message ever quotes it.
func redact(err error, secret string) error {
	var oe *onelogin.Error
	if secret == "" || !errors.As(err, &oe) || !strings.Contains(oe.Message, secret) {
		return err
	}
	c := *oe
	c.Message = strings.ReplaceAll(c.Message, secret, seal.Redacted)
	return &c
}

// userStep is one user's step in progress: the client and the user as
// OneLogin has them now.
type userStep struct {
	a    *Activities
	in   UserStepInput
	c    *onelogin.Client
	user onelogin.User
}

// runStep resolves the user, reads their current state and runs apply on
// it. apply compares before it writes, so a retried step never applies
// twice.
func (a *Activities) runStep(ctx context.Context, in UserStepInput, apply func(context.Context, *userStep) (UserStepResult, error)) (UserStepResult, error) {
	c, err := a.client(ctx, in.IntegrationID)
	if err != nil {
		return UserStepResult{}, err
	}
	u, err := a.resolve(ctx, c, in.IntegrationID, in.User)
	if err != nil {
		return UserStepResult{}, stepError(ctx, err)
	}
	res, err := apply(ctx, &userStep{a: a, in: in, c: c, user: u})
	if err != nil {
		return UserStepResult{}, withUser(stepError(ctx, err), u.ID)
	}
	res.UserID = u.ID
	return res, nil
}

// done writes the user as OneLogin now has them to the store, so the
// product sees the change before the next sync, and reports the outcome.
func (s *userStep) done(ctx context.Context, changed bool, fresh onelogin.User) (UserStepResult, error) {
	if _, err := s.a.Store.PutUser(ctx, s.in.IntegrationID, toDirectoryUser(fresh)); err != nil {
		return UserStepResult{}, appError(err)
	}
	if changed || s.ownEarlierAttempt(ctx) {
		return UserStepResult{Outcome: api.OutcomeChanged}, nil
	}
	return UserStepResult{Outcome: api.OutcomeAlreadyDone}, nil
}

// ownEarlierAttempt reports whether a user already in the wanted state was
// most likely put there by an earlier attempt of this very step, one that
// changed OneLogin and then failed (writing the store, say): it is a retry,
// and OneLogin changed the user after the action began. The outcome then
// says what the request did rather than what the retry found.
func (s *userStep) ownEarlierAttempt(ctx context.Context) bool {
	return activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt > 1 && s.since(s.user.UpdatedAt)
}

// since reports whether t is at or after the action's start. OneLogin keeps
// milliseconds.
func (s *userStep) since(t *time.Time) bool {
	return t != nil && !s.in.Since.IsZero() && !t.Before(s.in.Since.Truncate(time.Millisecond))
}

func (s *userStep) needEmail() error {
	if s.user.Email == "" {
		return failure(errcode.InvalidInput, "the user has no email address; OneLogin sends reset links by email")
	}
	return nil
}

// stepError ends a user's step. A failure a retry cannot fix keeps
// OneLogin's own words, which an admin can act on (a password policy, say);
// the full error, with endpoint and request id, goes to the worker's log.
func stepError(ctx context.Context, err error) error {
	var oe *onelogin.Error
	if errors.As(err, &oe) && !oe.Code.Retryable() {
		if activity.IsActivity(ctx) {
			activity.GetLogger(ctx).Warn("OneLogin refused a user step", "code", string(oe.Code), "error", oe.Error())
		}
		return failure(oe.Code, oe.Message)
	}
	return appError(err)
}

// withUser tells the workflow which user a final failure was about, for
// the result and the audit log.
func withUser(err error, id int64) error {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.NonRetryable() {
		return err
	}
	return temporal.NewNonRetryableApplicationError(ae.Message(), ae.Type(), nil, UserStepResult{UserID: id})
}
