package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// refMatches reports whether u is the user r names; OneLogin compares
// emails and usernames without regard to case.
func refMatches(r api.UserRef, u onelogin.User) bool {
	switch {
	case r.ID != 0:
		return u.ID == r.ID
	case r.Email != "":
		return strings.EqualFold(u.Email, r.Email)
	}
	return strings.EqualFold(u.Username, r.Username)
}

// resolve finds the user a reference names, as OneLogin has them now. An
// id is read directly. An email or username is looked up in the directory
// first (no list call), then read fresh; a stale mapping (the user renamed
// or deleted since the last sync) falls back to asking OneLogin.
func (a *Activities) resolve(ctx context.Context, c *onelogin.Client, integration string, ref api.UserRef) (onelogin.User, error) {
	ref, err := ref.Normalize()
	if err != nil {
		return onelogin.User{}, failure(errcode.InvalidInput, "user: "+err.Error())
	}
	if ref.ID != 0 {
		u, err := c.GetUser(ctx, ref.ID)
		if onelogin.CodeOf(err) == errcode.NotFound {
			return u, failure(errcode.NotFound, "no OneLogin user has id "+strconv.FormatInt(ref.ID, 10))
		}
		return u, err
	}
	find := a.Store.FindUserByEmail
	if ref.Email == "" {
		find = a.Store.FindUserByUsername
	}
	known, err := find(ctx, integration, ref.Email+ref.Username)
	switch {
	case err == nil:
		u, err := c.GetUser(ctx, known.OneLoginID)
		if err == nil && refMatches(ref, u) {
			return u, nil
		}
		if err != nil && onelogin.CodeOf(err) != errcode.NotFound {
			return u, err
		}
	case !errors.Is(err, directory.ErrNotFound):
		return onelogin.User{}, appError(err)
	}
	return lookup(ctx, c, ref)
}

// lookup asks OneLogin for the user with an email or username. The filter
// is exact but case-blind; matches are checked again here all the same.
func lookup(ctx context.Context, c *onelogin.Client, ref api.UserRef) (onelogin.User, error) {
	var found []onelogin.User
	for u, err := range c.Users(ctx, onelogin.UserQuery{Email: ref.Email, Username: ref.Username}) {
		if err != nil {
			return onelogin.User{}, err
		}
		if refMatches(ref, u) {
			found = append(found, u)
		}
	}
	what := "email " + ref.Email
	if ref.Email == "" {
		what = "username " + ref.Username
	}
	switch len(found) {
	case 0:
		return onelogin.User{}, failure(errcode.NotFound, "no OneLogin user has "+what)
	case 1:
		return found[0], nil
	}
	return onelogin.User{}, failure(errcode.Conflict, fmt.Sprintf("%d OneLogin users have %s; name the user by id", len(found), what))
}
