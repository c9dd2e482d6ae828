package olsim_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

func TestRequestIDOnEveryResponse(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5})
	tok := h.token(adminID)
	responses := []resp{
		h.get("/api/2/users", tok),
		h.get("/api/1/users", tok),
		h.get("/api/2/users", "bad"),
		h.do("GET", "/api/1/users", ""),
		h.do("PATCH", "/api/2/users", ""),
		h.do("GET", "/nowhere", ""),
		h.do("GET", "/t/other/api/2/users", ""),
		h.do("POST", "/auth/oauth2/v2/token", "{}"),
		h.call("DELETE", fmt.Sprintf("/api/2/users/%d", h.sim.Users()[0].ID), tok, ""),
		h.admin("GET", "state", ""),
	}
	wantPrefix := fmt.Sprintf("%08X-", epoch.Unix())
	seen := map[string]bool{}
	for i, r := range responses {
		id := r.Header.Get("X-Request-Id")
		require.Regexp(t, `^[0-9A-F]{8}-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{6}-[0-9A-F]{4}$`, id, "response %d", i)
		require.Equal(t, wantPrefix, id[:9], "first 8 hex digits are the epoch seconds")
		require.False(t, seen[id], "unique")
		seen[id] = true
	}
}

func TestContentTypesAndRoutes(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5})
	tok := h.token(adminID)
	require.Equal(t, "application/json", h.get("/api/2/users", tok).Header.Get("Content-Type"))
	require.Equal(t, "application/json; charset=utf-8", h.get("/api/1/users", tok).Header.Get("Content-Type"))
	for _, req := range [][2]string{{"PATCH", "/api/2/users"}, {"GET", "/api/1/invites/send_invite_link"}, {"GET", "/api/9/whatever"}} {
		requireV1(t, h.call(req[0], req[1], tok, ""), 404, "No Route Exists")
	}
}

func TestTenantPrefix(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5, Subdomain: "acme"})
	tok := h.token(readerID)
	for _, prefix := range []string{"", "/t/acme", "/t/ACME"} {
		r := h.get(prefix+"/api/2/users", tok)
		require.Equal(t, 200, r.StatusCode, prefix)
	}
	r := h.do("POST", "/t/acme/auth/oauth2/v2/token", grantJSON, "Authorization: "+basic(adminID, secret), "Content-Type: application/json")
	require.Equal(t, 200, r.StatusCode)
	require.Equal(t, 3, h.sim.RequestCount("GET /api/2/users"), "prefixed calls count under the same key")

	for _, path := range []string{"/t/initech/api/2/users", "/t/initech/auth/oauth2/v2/token", "/t/initech/"} {
		r := h.get(path, tok)
		require.Equal(t, 404, r.StatusCode, path)
		require.Equal(t, "text/html", r.Header.Get("Content-Type"))
		require.NotContains(t, string(r.body), "status", "no OneLogin JSON")
		require.Equal(t, strconv.Itoa(len(r.body)), r.Header.Get("Content-Length"))
	}
}
