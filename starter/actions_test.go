package starter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
)

// Bad requests are refused at the edge, naming the field, before Temporal
// is called (the Starter here has no client at all).
func TestActionRefusalsNameTheField(t *testing.T) {
	s := &Starter{}
	ctx := context.Background()
	users := func(refs ...api.UserRef) api.ActionRequest {
		return api.ActionRequest{IntegrationID: "acme", RequestID: "r-1", Users: refs}
	}
	cases := []struct {
		field string
		call  func() error
	}{
		{"users", func() error { _, err := s.SuspendUsers(ctx, users()); return err }},
		{"users[1]", func() error {
			_, err := s.ActivateUsers(ctx, users(api.UserRef{ID: 1}, api.UserRef{Email: "nobody"}))
			return err
		}},
		{"request_id", func() error {
			r := users(api.UserRef{ID: 1})
			r.RequestID = "has space"
			_, err := s.SuspendUsers(ctx, r)
			return err
		}},
		{"group_id", func() error {
			_, err := s.AddUsersToGroup(ctx, api.GroupRequest{ActionRequest: users(api.UserRef{ID: 1})})
			return err
		}},
		{"role_id", func() error {
			_, err := s.RemoveUsersFromRole(ctx, api.RoleRequest{ActionRequest: users(api.UserRef{ID: 1}), RoleID: -2})
			return err
		}},
		{"reset", func() error {
			_, err := s.OnboardUser(ctx, api.OnboardRequest{IntegrationID: "acme", RequestID: "r", User: api.UserRef{ID: 1}, Reset: "sms"})
			return err
		}},
		{"steps", func() error {
			_, err := s.OffboardUser(ctx, api.OffboardRequest{IntegrationID: "acme", RequestID: "r", User: api.UserRef{ID: 1}})
			return err
		}},
		{"password", func() error {
			_, err := s.SetUserPassword(ctx, SetPasswordInput{IntegrationID: "acme", RequestID: "r", User: api.UserRef{ID: 1}})
			return err
		}},
	}
	for _, tc := range cases {
		err := tc.call()
		var se *Error
		require.True(t, errors.As(err, &se), "%s: %v", tc.field, err)
		assert.Equal(t, tc.field, se.Field)
		assert.Equal(t, errcode.InvalidInput, errcode.Of(err))
	}
}

func TestOpenLinksWithTheWorkersKeys(t *testing.T) {
	key, err := seal.GenerateKey()
	require.NoError(t, err)
	keys, err := seal.ParseKeyring("k1:" + key)
	require.NoError(t, err)
	link, err := keys.Seal(seal.NewSecret("https://acme.onelogin.com/password/reset?token=abc"), api.ResetLinkAAD("acme", "r-1"))
	require.NoError(t, err)
	res := ActionResult{ActionResult: api.ActionResult{IntegrationID: "acme", RequestID: "r-1",
		Users: []api.UserResult{{Outcome: api.OutcomeFailed}, {ResetLink: link}}}}
	require.NoError(t, (&Starter{Keys: keys}).openLinks(&res))
	require.Len(t, res.Links, 2)
	assert.True(t, res.Links[0].IsZero())
	assert.Equal(t, "https://acme.onelogin.com/password/reset?token=abc", res.Links[1].Reveal())

	// A link sealed for another request does not open for this one.
	res.RequestID = "r-2"
	res.Links = nil
	assert.Error(t, (&Starter{Keys: keys}).openLinks(&res))
}

func TestStaticDetailsSayWhatWasAsked(t *testing.T) {
	d := connectDetails(api.ConnectRequest{IntegrationID: "acme", Subdomain: "acme", ClientID: "cid", RequestedBy: "admin@acme.com", SyncInterval: 10 * time.Minute})
	assert.Equal(t, "Connect OneLogin **acme** (region us, client id `cid`) as `acme` by admin@acme.com; then a full sync and a periodic sync every 10m.", d)
	assert.Contains(t, syncDetails(api.SyncRequest{IntegrationID: "acme", Mode: api.ModeFull}), "On-demand **full** sync of `acme`")
	assert.Equal(t, "2h", every(2*time.Hour))
	assert.Equal(t, "1m30s", every(90*time.Second))
}
