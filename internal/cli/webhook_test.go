package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The webhook server refuses to start without secrets, with a malformed
// or weak one (without printing it), and without TLS unless told to serve
// plain HTTP; all are usage errors.
func TestWebhookServerConfigErrors(t *testing.T) {
	const weak = "acme=tooshort"
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no secrets", nil, nil, "OLFLOW_WEBHOOK_SECRETS"},
		{"weak secret", map[string]string{"OLFLOW_WEBHOOK_SECRETS": weak}, nil, "shorter than"},
		{"no tls", map[string]string{"OLFLOW_WEBHOOK_SECRETS": "acme=0123456789abcdef0123"}, nil, "--insecure-http"},
		{"bad cert", map[string]string{"OLFLOW_WEBHOOK_SECRETS": "acme=0123456789abcdef0123"},
			[]string{"--webhook-tls-cert", "/nonexistent.pem", "--webhook-tls-key", "/nonexistent.key"}, "webhook TLS"},
		{"no codec keys", map[string]string{"OLFLOW_WEBHOOK_SECRETS": "acme=0123456789abcdef0123"},
			[]string{"--insecure-http"}, "OLFLOW_CODEC_KEYS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run(t, c.env, append([]string{"webhook-server"}, c.args...)...)
			assert.Equal(t, 2, code, errOut)
			assert.Contains(t, errOut, c.want)
			assert.NotContains(t, errOut, "tooshort")
		})
	}
}

func TestWebhookSecretsFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secrets")
	require.NoError(t, os.WriteFile(file, []byte("acme=short\n"), 0o600))
	code, _, errOut := run(t, nil, "webhook-server", "--webhook-secrets-file", file)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "secret of acme is shorter", "the file was read")
}
