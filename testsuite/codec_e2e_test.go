package testsuite

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/onelogin/olsim"
)

// startInput runs `temporal workflow show` and returns the decoded-or-not
// input payload of the run's first event.
func startInput(t *testing.T, workflowID string, extra ...string) (encoding string, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"workflow", "show", "--workflow-id", workflowID, "--address", devServer.FrontendHostPort(),
		"--namespace", "default", "--output", "json"}, extra...)
	out, err := exec.CommandContext(ctx, temporalCLI(), args...).Output()
	require.NoError(t, err)
	var hist struct {
		Events []struct {
			Attrs struct {
				Input struct {
					Payloads []struct {
						Metadata map[string][]byte
						Data     []byte
					}
				}
			} `json:"workflowExecutionStartedEventAttributes"`
		}
	}
	require.NoError(t, json.Unmarshal(out, &hist))
	require.NotEmpty(t, hist.Events)
	p := hist.Events[0].Attrs.Input.Payloads[0]
	return string(p.Metadata["encoding"]), p.Data
}

// The Temporal CLI decodes olflow's payloads through the codec server, as
// the README documents; what it shows keeps the client secret sealed.
func TestCodecServerDecodesForTheTemporalCLI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 10})
	const id = "codec-cli"
	_, err := h.starter.Connect(ctxT(t, time.Minute), h.connectInput(id))
	require.NoError(t, err)

	const token = "e2e-codec-token"
	handler, err := codec.NewHandler(codec.ServerOptions{Codec: codec.New(codecKeys), Tokens: []string{token}})
	require.NoError(t, err)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)

	enc, raw := startInput(t, api.ConnectWorkflowID(id))
	assert.Equal(t, codec.MetadataEncoding, enc, "history holds ciphertext")
	assert.NotContains(t, string(raw), id)

	enc, plain := startInput(t, api.ConnectWorkflowID(id),
		"--codec-endpoint", srv.URL+"/default", "--codec-auth", "Bearer "+token)
	assert.Equal(t, "json/plain", enc)
	var req api.ConnectRequest
	require.NoError(t, json.Unmarshal(plain, &req), "%s", plain)
	assert.Equal(t, id, req.IntegrationID)
	assert.Contains(t, string(plain), `"ClientSecret":"sealed:v1:`, "decoded payloads still hold the secret sealed")
	assert.NotContains(t, string(plain), olsim.DefaultClientSecret)
}
