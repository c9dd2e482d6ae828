package codec_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/codec"
)

const token = "codec-test-token"

func codecServer(t *testing.T) (*httptest.Server, *codec.Codec) {
	t.Helper()
	c := codec.New(keyring(t, "k1"))
	h, err := codec.NewHandler(codec.ServerOptions{Codec: c, Tokens: []string{"other", token},
		Origins: []string{"http://localhost:8233/"}})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, c
}

func remote(endpoint, auth string) converter.PayloadCodec {
	return converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{Endpoint: endpoint,
		ModifyRequest: func(r *http.Request) error {
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			return nil
		}})
}

func TestCodecServerRoundTrips(t *testing.T) {
	srv, local := codecServer(t)
	in := []*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"Name":"acme"}`)}}
	for name, rc := range map[string]converter.PayloadCodec{
		"bearer header": remote(srv.URL+"/default", "Bearer "+token),
		"token in path": remote(srv.URL+codec.TokenPathPrefix+token+"/default", ""),
		// The Web UI with passAccessToken forwards its own OIDC token.
		"token in path, UI's own header": remote(srv.URL+codec.TokenPathPrefix+token+"/default", "Bearer eyJ.oidc.jwt"),
	} {
		t.Run(name, func(t *testing.T) {
			enc, err := rc.Encode(in)
			require.NoError(t, err)
			require.Equal(t, codec.MetadataEncoding, string(enc[0].Metadata["encoding"]))
			// What the server encoded, this process decodes, and the reverse.
			dec, err := local.Decode(enc)
			require.NoError(t, err)
			assert.Equal(t, in[0].Data, dec[0].Data)
			mine, err := local.Encode(in)
			require.NoError(t, err)
			dec, err = rc.Decode(mine)
			require.NoError(t, err)
			assert.Equal(t, in[0].Data, dec[0].Data)
		})
	}
}

func TestCodecServerRefusesWithoutTheToken(t *testing.T) {
	srv, local := codecServer(t)
	enc, err := local.Encode([]*commonpb.Payload{{Data: []byte("secret")}})
	require.NoError(t, err)
	for name, rc := range map[string]converter.PayloadCodec{
		"no token":       remote(srv.URL+"/default", ""),
		"wrong token":    remote(srv.URL+"/default", "Bearer nope"),
		"basic auth":     remote(srv.URL+"/default", "Basic "+token),
		"wrong in path":  remote(srv.URL+codec.TokenPathPrefix+"nope/default", ""),
		"prefix of real": remote(srv.URL+"/default", "Bearer "+token[:5]),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := rc.Decode(enc)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "Unauthorized")
		})
	}
	resp, err := http.Post(srv.URL+"/default/decode", "application/json", strings.NewReader(`{"payloads":[]}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
}

func TestCodecServerCORS(t *testing.T) {
	srv, _ := codecServer(t)
	do := func(method, origin string, auth bool) *http.Response {
		req, err := http.NewRequest(method, srv.URL+"/default/decode", strings.NewReader(`{"payloads":[]}`))
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		if auth {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	pre := do(http.MethodOptions, "http://localhost:8233", false)
	assert.Equal(t, http.StatusNoContent, pre.StatusCode, "preflights need no token")
	assert.Equal(t, "http://localhost:8233", pre.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, pre.Header.Get("Access-Control-Allow-Headers"), "Authorization")
	assert.Contains(t, pre.Header.Get("Access-Control-Allow-Headers"), "X-Namespace")

	ok := do(http.MethodPost, "http://localhost:8233", true)
	assert.Equal(t, http.StatusOK, ok.StatusCode)
	assert.Equal(t, "http://localhost:8233", ok.Header.Get("Access-Control-Allow-Origin"))

	evil := do(http.MethodOptions, "https://evil.example", false)
	assert.Equal(t, http.StatusForbidden, evil.StatusCode)
	assert.Empty(t, evil.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, http.StatusForbidden, do(http.MethodPost, "https://evil.example", true).StatusCode,
		"a token does not make another origin acceptable")
}

func TestCodecServerHealthAndConfig(t *testing.T) {
	srv, _ := codecServer(t)
	resp, err := http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	_, err = codec.NewHandler(codec.ServerOptions{Codec: codec.New(nil), Tokens: []string{" "}})
	assert.Error(t, err, "a codec server without a token is refused")
	_, err = codec.NewHandler(codec.ServerOptions{Tokens: []string{"t"}})
	assert.Error(t, err)
}
