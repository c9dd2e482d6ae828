package onelogin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/onelogin/olsim"
)

func TestEventsPagesSinceCursor(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 5})
	c := f.client(t)
	ctx := context.Background()
	users := f.sim.Users()
	f.clock.Advance(time.Minute)
	since := f.clock.Now()
	for i := range 60 {
		_, err := f.sim.UpdateUser(users[i%len(users)].ID, olsim.Fields{"title": "t" + string(rune('a'+i%26)) + time.Duration(i).String()})
		require.NoError(t, err)
	}
	require.NoError(t, f.sim.DeleteUser(users[0].ID))

	var got []onelogin.Event
	pages := 0
	for p, err := range c.EventPages(ctx, onelogin.EventQuery{Since: since}, "") {
		require.NoError(t, err)
		pages++
		got = append(got, p.Items...)
	}
	assert.Equal(t, 2, pages, "61 events are two pages of 50")
	require.Len(t, got, 61)
	assert.Equal(t, users[0].ID, got[60].UserID)
	for i := 1; i < len(got); i++ {
		assert.Greater(t, got[i].ID, got[i-1].ID, "oldest first, ids increasing")
	}
	assert.False(t, got[0].CreatedAt.IsZero())

	types, err := c.EventTypes(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, types)
}

// A server that gives only next_link, ids as strings and nulls everywhere
// is still read to the end.
func TestEventsTolerantDecodingAndNextLink(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth/oauth2/v2/token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"x","token_type":"bearer","expires_in":36000,"created_at":"2026-11-28T09:00:00Z"}`))
			return
		}
		calls++
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("after_cursor") == "" {
			_, _ = w.Write([]byte(`{"status":{"error":false,"code":200},"pagination":{"after_cursor":null,"next_link":"https://elsewhere.example/api/1/events?after_cursor=abc"},
				"data":[{"id":"17","created_at":"2026-11-28T09:00:01.000Z","event_type_id":null,"user_id":"42","group_id":null,"role_id":null}]}`))
			return
		}
		assert.Equal(t, "abc", r.URL.Query().Get("after_cursor"))
		_, _ = w.Write([]byte(`{"data":[{"id":18,"created_at":null,"user_id":null,"group_id":7,"role_id":9,"user_name":null}],"status":{"error":false,"code":200},"pagination":{"after_cursor":null,"next_link":null}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := onelogin.New(onelogin.Config{Subdomain: "acme", ClientID: "id", ClientSecret: "secret", BaseURL: srv.URL})
	require.NoError(t, err)
	var got []onelogin.Event
	for e, err := range c.Events(context.Background(), onelogin.EventQuery{}) {
		require.NoError(t, err)
		got = append(got, e)
	}
	require.Len(t, got, 2)
	assert.Equal(t, onelogin.Event{ID: 17, CreatedAt: time.Date(2026, 11, 28, 9, 0, 1, 0, time.UTC), UserID: 42}, got[0])
	assert.Equal(t, onelogin.Event{ID: 18, GroupID: 7, RoleID: 9}, got[1])
	assert.Equal(t, 2, calls)
}

func TestEventsErrorIsTyped(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 1})
	f.sim.SetFaults(olsim.Faults{ErrorRate: 1})
	c := f.client(t)
	for _, err := range c.Events(context.Background(), onelogin.EventQuery{}) {
		require.Error(t, err)
		assert.Equal(t, onelogin.CodeServerError, onelogin.CodeOf(err))
	}
}
