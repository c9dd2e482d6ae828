package olsim_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

const grantJSON = `{"grant_type":"client_credentials"}`

func TestTokenAuthStyles(t *testing.T) {
	h := newHarness(t, olsim.Options{})
	tests := []struct {
		name string
		body string
		hdr  []string
	}{
		{"custom header with space", grantJSON, []string{"Authorization: client_id:" + adminID + ", client_secret:" + secret, "Content-Type: application/json"}},
		{"custom header without space", grantJSON, []string{"Authorization: client_id:" + adminID + ",client_secret:" + secret, "Content-Type: application/json"}},
		{"basic", grantJSON, []string{"Authorization: " + basic(adminID, secret), "Content-Type: application/json"}},
		{"form body", "grant_type=client_credentials&client_id=" + adminID + "&client_secret=" + secret, []string{"Content-Type: application/x-www-form-urlencoded"}},
	}
	var first string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do("POST", "/auth/oauth2/v2/token", tt.body, tt.hdr...)
			require.Equal(t, 200, r.StatusCode, "%s", r.body)
			m := r.obj(t)
			require.Len(t, m, 6, "exactly the six documented fields, no scope")
			require.Equal(t, "bearer", m["token_type"])
			require.Equal(t, float64(36000), m["expires_in"])
			require.Equal(t, float64(olsim.DefaultAccountID), m["account_id"])
			require.Equal(t, "2024-05-01T12:00:00.000Z", m["created_at"])
			require.Regexp(t, `^[0-9a-f]{64}$`, m["access_token"])
			require.NotEmpty(t, m["refresh_token"])
			if first == "" {
				first = m["access_token"].(string)
			}
			require.Equal(t, first, m["access_token"], "same credential, same token")
		})
	}
}

func TestTokenErrors(t *testing.T) {
	h := newHarness(t, olsim.Options{})
	json := "Content-Type: application/json"
	tests := []struct {
		name    string
		body    string
		hdr     []string
		status  int
		message string
	}{
		{"bad secret", grantJSON, []string{"Authorization: client_id:" + adminID + ", client_secret:nope", json}, 401, "Authentication Failure"},
		{"unknown client", grantJSON, []string{"Authorization: " + basic("who", secret), json}, 401, "Authentication Failure"},
		{"no credentials", grantJSON, []string{json}, 401, "Authentication Failure"},
		{"wrong grant", `{"grant_type":"password"}`, []string{"Authorization: " + basic(adminID, secret), json}, 400, "grant_type is incorrect/absent"},
		{"no grant", `{}`, []string{"Authorization: " + basic(adminID, secret), json}, 400, "grant_type is incorrect/absent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireV1(t, h.do("POST", "/auth/oauth2/v2/token", tt.body, tt.hdr...), tt.status, tt.message)
		})
	}
	t.Run("wrong method", func(t *testing.T) {
		requireV1(t, h.do("GET", "/auth/oauth2/v2/token", ""), 404, "No Route Exists")
	})
}

func TestTokenReuseExpiryAndRevocation(t *testing.T) {
	h := newHarness(t, olsim.Options{TokenTTL: time.Hour})
	tok := h.token(adminID)

	h.clock.Advance(30 * time.Minute)
	r := h.do("POST", "/auth/oauth2/v2/token", grantJSON, "Authorization: "+basic(adminID, secret), "Content-Type: application/json")
	m := r.obj(t)
	require.Equal(t, tok, m["access_token"], "reused while valid")
	require.Equal(t, "2024-05-01T12:00:00.000Z", m["created_at"], "created_at stays at issue time")
	require.Equal(t, float64(3600), m["expires_in"], "expires_in does not count down")
	require.Equal(t, 200, h.get("/api/2/users?limit=1", tok).StatusCode)

	h.clock.Advance(30 * time.Minute)
	requireV2Err(t, h.get("/api/2/users", tok), 401, "UnauthorizedError", "Unauthorized")
	requireV1(t, h.get("/api/1/users", tok), 401, "Authentication Failure")
	fresh := h.token(adminID)
	require.NotEqual(t, tok, fresh, "a new token once expired")

	h.sim.RevokeAllTokens()
	require.Equal(t, 401, h.get("/api/2/users", fresh).StatusCode)
	require.NotEqual(t, fresh, h.token(adminID), "a new token once revoked")
}

func TestLegacyTokenInvalidatesPrevious(t *testing.T) {
	h := newHarness(t, olsim.Options{})
	legacy := func() string {
		r := h.do("POST", "/auth/oauth2/token", grantJSON, "Authorization: client_id:"+adminID+", client_secret:"+secret, "Content-Type: application/json")
		requireV1(t, r, 200, "Success")
		var env struct {
			Data []map[string]any `json:"data"`
		}
		r.json(t, &env)
		require.Len(t, env.Data, 1)
		require.Len(t, env.Data[0], 6)
		return env.Data[0]["access_token"].(string)
	}
	first := legacy()
	require.Equal(t, 200, h.get("/api/2/users?limit=1", first).StatusCode)
	second := legacy()
	require.NotEqual(t, first, second)
	require.Equal(t, 401, h.get("/api/2/users?limit=1", first).StatusCode, "the old legacy token is invalidated")
	require.Equal(t, 200, h.get("/api/2/users?limit=1", second).StatusCode)
}

func TestRevoke(t *testing.T) {
	h := newHarness(t, olsim.Options{})
	tok := h.token(adminID)
	auth := "Authorization: client_id:" + adminID + ", client_secret:" + secret
	json := "Content-Type: application/json"
	tests := []struct {
		name    string
		body    string
		hdr     []string
		status  int
		message string
	}{
		{"no content type", `{"access_token":"x"}`, []string{auth}, 400, "Content Type is not specified or specified incorrectly. Content-Type header must be set to application/json"},
		{"no authorization", `{"access_token":"x"}`, []string{json}, 400, "The authorization information is missing"},
		{"bad credentials", `{"access_token":"x"}`, []string{json, "Authorization: client_id:" + adminID + ", client_secret:bad"}, 401, "Authentication Failure"},
		{"no token", `{}`, []string{json, auth}, 400, "Access Token Missing"},
		{"success", `{"access_token":"` + tok + `"}`, []string{json, auth}, 200, "Success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do("POST", "/auth/oauth2/revoke", tt.body, tt.hdr...)
			requireV1(t, r, tt.status, tt.message)
		})
	}
	require.Equal(t, 401, h.get("/api/2/users", tok).StatusCode, "revoked token stops working")
	require.NotEqual(t, tok, h.token(adminID))
}

func TestOwnerDeletedCredentialGives500(t *testing.T) {
	h := newHarness(t, olsim.Options{})
	tok := h.token(adminID)
	require.NoError(t, h.sim.SetCredentialOwnerDeleted(adminID, true))
	r := h.do("POST", "/auth/oauth2/v2/token", grantJSON, "Authorization: "+basic(adminID, secret), "Content-Type: application/json")
	require.Equal(t, 500, r.StatusCode)
	require.Equal(t, 401, h.get("/api/2/users", tok).StatusCode, "existing tokens stop working too")
}

func TestBearerForms(t *testing.T) {
	h := newHarness(t, olsim.Options{})
	tok := h.token(adminID)
	for _, hdr := range []string{"Bearer " + tok, "bearer " + tok, "bearer:" + tok, "BEARER: " + tok} {
		t.Run(hdr[:7], func(t *testing.T) {
			require.Equal(t, 200, h.do("GET", "/api/2/users?limit=1", "", "Authorization: "+hdr).StatusCode)
			require.Equal(t, 200, h.do("GET", "/api/1/groups", "", "Authorization: "+hdr).StatusCode)
		})
	}
	t.Run("v1 missing or malformed header", func(t *testing.T) {
		for _, hdr := range []string{"", "Token " + tok, "Bearer", "bearer" + tok} {
			requireV1(t, h.do("GET", "/api/1/users", "", "Authorization: "+hdr), 400, "Authorization Information is incorrect")
		}
	})
	t.Run("v2 missing header", func(t *testing.T) {
		requireV2Err(t, h.do("GET", "/api/2/users", ""), 401, "UnauthorizedError", "Unauthorized")
	})
	t.Run("unknown token", func(t *testing.T) {
		requireV1(t, h.get("/api/1/users", "nope"), 401, "Authentication Failure")
		requireV2Err(t, h.get("/api/2/users", "nope"), 401, "UnauthorizedError", "Unauthorized")
	})
}

func TestHTMLRateLimitOnTokenEndpoint(t *testing.T) {
	h := newHarness(t, olsim.Options{Faults: olsim.Faults{TokenHTML429: 2}})
	for range 2 {
		r := h.do("POST", "/auth/oauth2/v2/token", grantJSON, "Authorization: "+basic(adminID, secret), "Content-Type: application/json")
		require.Equal(t, 429, r.StatusCode)
		require.Equal(t, "text/html", r.Header.Get("Content-Type"))
		require.Len(t, r.body, 117)
		require.Equal(t, "117", r.Header.Get("Content-Length"))
		require.True(t, r.Close, "connection: close")
		require.Empty(t, r.Header.Get("X-RateLimit-Limit"))
	}
	require.NotEmpty(t, h.token(adminID), "the burst is over")
	require.Equal(t, 0, h.sim.Faults().TokenHTML429)
}

func TestRateLimitEndpoint(t *testing.T) {
	h := newHarness(t, olsim.Options{})
	tok := h.token(readerID)
	h.get("/api/1/groups", tok)
	r := h.get("/auth/rate_limit", tok)
	requireV1(t, r, 200, "Success")
	var env struct {
		Data map[string]int `json:"data"`
	}
	r.json(t, &env)
	require.Equal(t, map[string]int{"X-RateLimit-Limit": 5000, "X-RateLimit-Remaining": 4999, "X-RateLimit-Reset": 3600}, env.Data)
	require.Regexp(t, regexp.MustCompile(`^\d+$`), r.Header.Get("X-RateLimit-Remaining"))
}

func TestTokenErrorsWith200(t *testing.T) {
	h := newHarness(t, olsim.Options{TokenErrorsWith200: true})
	r := h.do("POST", "/auth/oauth2/v2/token", grantJSON, "Authorization: "+basic(adminID, "wrong"), "Content-Type: application/json")
	require.Equal(t, 200, r.StatusCode)
	code, msg := v1Status(t, r)
	require.Equal(t, []any{401, "Authentication Failure"}, []any{code, msg}, "the error lives in the body")
}
