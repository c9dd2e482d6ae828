package olsim_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

// epoch is where every test clock starts.
var epoch = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// Credentials every harness accepts, one per scope.
const (
	adminID  = "admin-id"
	secret   = "s3cret"
	readerID = "reader-id"
)

var scopeIDs = map[olsim.Scope]string{
	olsim.ScopeAuthOnly:    "auth-only-id",
	olsim.ScopeReadUsers:   readerID,
	olsim.ScopeManageUsers: "manage-users-id",
	olsim.ScopeReadAll:     "read-all-id",
	olsim.ScopeManageAll:   adminID,
}

// harness is a simulator behind a real HTTP server, driven with net/http
// only: these are contract tests of the wire behaviour.
type harness struct {
	t     *testing.T
	sim   *olsim.Server
	srv   *httptest.Server
	clock *olsim.ManualClock
}

func newHarness(t *testing.T, opts olsim.Options) *harness {
	t.Helper()
	clock := olsim.NewManualClock(epoch)
	opts.Clock = clock
	if opts.Users == 0 {
		opts.Users = 120
	}
	if opts.Credentials == nil {
		for sc, id := range scopeIDs {
			opts.Credentials = append(opts.Credentials, olsim.Credential{ClientID: id, ClientSecret: secret, Scope: sc})
		}
	}
	sim := olsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &harness{t: t, sim: sim, srv: srv, clock: clock}
}

type resp struct {
	*http.Response
	body []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// obj decodes the body as a JSON object.
func (r resp) obj(t *testing.T) map[string]any {
	var m map[string]any
	r.json(t, &m)
	return m
}

// do sends a request; hdr holds "Key: value" lines.
func (h *harness) do(method, path, body string, hdr ...string) resp {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	require.NoError(h.t, err)
	for _, kv := range hdr {
		k, v, _ := strings.Cut(kv, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	res, err := h.srv.Client().Do(req)
	require.NoError(h.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(h.t, err)
	return resp{res, b}
}

// token gets a v2 token for a client id (all harness credentials share the secret).
func (h *harness) token(clientID string) string {
	h.t.Helper()
	r := h.do("POST", "/auth/oauth2/v2/token", `{"grant_type":"client_credentials"}`,
		"Authorization: client_id:"+clientID+", client_secret:"+secret, "Content-Type: application/json")
	require.Equal(h.t, 200, r.StatusCode, "token: %s", r.body)
	var tb struct {
		AccessToken string `json:"access_token"`
	}
	r.json(h.t, &tb)
	return tb.AccessToken
}

// call sends an authenticated request with a body.
func (h *harness) call(method, path, tok, body string) resp {
	h.t.Helper()
	return h.do(method, path, body, "Authorization: Bearer "+tok, "Content-Type: application/json")
}

func (h *harness) get(path, tok string) resp { h.t.Helper(); return h.call("GET", path, tok, "") }

// admin calls the admin API.
func (h *harness) admin(method, path, body string) resp {
	h.t.Helper()
	return h.do(method, "/__olsim/"+path, body, "Content-Type: application/json")
}

func basic(id, sec string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+sec))
}

// v1Status extracts status.code and status.message of a v1 envelope.
func v1Status(t *testing.T, r resp) (int, any) {
	t.Helper()
	var env struct {
		Status struct {
			Error   bool `json:"error"`
			Code    int  `json:"code"`
			Message any  `json:"message"`
		} `json:"status"`
	}
	r.json(t, &env)
	require.Equal(t, env.Status.Code >= 400, env.Status.Error)
	return env.Status.Code, env.Status.Message
}

// requireV1 asserts an HTTP status and a v1 envelope with that code and message.
func requireV1(t *testing.T, r resp, status int, message any) {
	t.Helper()
	require.Equal(t, status, r.StatusCode, "body: %s", r.body)
	require.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	code, msg := v1Status(t, r)
	require.Equal(t, status, code)
	require.Equal(t, message, msg)
}

// requireV2Err asserts the standard v2 error body.
func requireV2Err(t *testing.T, r resp, status int, name, message string) {
	t.Helper()
	require.Equal(t, status, r.StatusCode, "body: %s", r.body)
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	require.Equal(t, map[string]any{"statusCode": float64(status), "name": name, "message": message}, r.obj(t))
}

// ids extracts the id of each element of a JSON array body.
func ids(t *testing.T, r resp) []int64 {
	t.Helper()
	var items []struct {
		ID int64 `json:"id"`
	}
	r.json(t, &items)
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
