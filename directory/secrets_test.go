package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olflow/olflow/seal"
)

const clientSecret = "cs-plaintext-3f9a1c"

// testSecretStoredSealed: the integration row holds only ciphertext, what the
// store returns renders no plaintext anywhere, and the sealed value is bound
// to its integration.
func testSecretStoredSealed(t *testing.T, e *env) {
	key, err := seal.GenerateKey()
	ok(t, err)
	ring, err := seal.ParseKeyring("k1:" + key)
	ok(t, err)
	sealed, err := ring.Seal(seal.NewSecret(clientSecret), "a")
	ok(t, err)
	ok(t, e.s.PutIntegration(e.ctx, Integration{ID: "a", Subdomain: "acme", Region: "us", ClientID: "cid",
		ClientSecret: sealed, Status: StatusConnected}))

	// What is in the database.
	raw := rawIntegrationRow(t, e, "a")
	if strings.Contains(raw, clientSecret) || !strings.Contains(raw, sealed.String()) {
		t.Fatalf("integration row must hold the sealed text only: %s", raw)
	}
	if e.b.name == "sqlite-file" {
		path := strings.TrimPrefix(e.dsn, "sqlite://")
		files, _ := filepath.Glob(path + "*") // the database, its WAL and shm
		for _, f := range files {
			b, err := os.ReadFile(f)
			ok(t, err)
			if bytes.Contains(b, []byte(clientSecret)) {
				t.Fatalf("plaintext found in %s", f)
			}
		}
	}

	// What the store returns opens back to the secret, for this tenant only.
	in, err := e.s.GetIntegration(e.ctx, "a")
	ok(t, err)
	eq(t, "sealed round trip", in.ClientSecret.String(), sealed.String())
	opened, err := ring.Open(in.ClientSecret, "a")
	ok(t, err)
	eq(t, "plaintext", opened.Reveal(), clientSecret)
	_, err = ring.Open(in.ClientSecret, "b")
	wantErr(t, err, seal.ErrOpen)

	// A wrong key fails without echoing plaintext or key material.
	other, _ := seal.GenerateKey()
	wrong, err := seal.ParseKeyring("k1:" + other)
	ok(t, err)
	_, err = wrong.Open(in.ClientSecret, "a")
	wantErr(t, err, seal.ErrOpen)
	_, err = ring.Open(seal.Sealed{KeyID: "k9", Nonce: in.ClientSecret.Nonce, Ciphertext: in.ClientSecret.Ciphertext}, "a")
	wantErr(t, err, seal.ErrUnknownKey)

	// Every rendering of the records, the opened secret and the errors.
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("integration", "in", in, "secret", opened)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("integration", "in", in, "secret", opened, "ring", ring)
	js, err := json.Marshal(struct {
		In     Integration
		Secret seal.Secret
	}{in, opened})
	ok(t, err)
	sum, err := e.s.IntegrationStatus(e.ctx, "a")
	ok(t, err)
	renderings := []string{
		fmt.Sprintf("%v %+v %#v %s %q", in, in, in, in, in),
		fmt.Sprintf("%v %+v %#v %s %q", opened, opened, opened, opened, opened),
		fmt.Sprintf("%v %+v %#v", sum, sum, sum),
		fmt.Sprintf("%v %+v %#v", ring, ring, ring),
		string(js), logs.String(),
		fmt.Errorf("connect %s: %w", opened, errors.Join(err, seal.ErrOpen)).Error(),
	}
	for _, err := range []error{
		func() error { _, err := wrong.Open(in.ClientSecret, "a"); return err }(),
		e.s.PutIntegration(e.ctx, Integration{ID: "a", Region: "mars", ClientSecret: sealed}),
		func() error { _, err := seal.ParseKeyring("k1:" + key + ",k1:" + key); return err }(),
		func() error { _, err := seal.ParseKeyring(key); return err }(),
	} {
		if err == nil {
			t.Fatal("expected an error")
		}
		renderings = append(renderings, err.Error(), fmt.Sprintf("%+v", err))
	}
	for _, r := range renderings {
		if strings.Contains(r, clientSecret) {
			t.Errorf("plaintext secret rendered: %s", r)
		}
		if strings.Contains(r, key) || strings.Contains(r, other) {
			t.Errorf("key material rendered: %s", r)
		}
	}
}

// rawIntegrationRow returns every column of the integration's row as text,
// read past the Store API.
func rawIntegrationRow(t *testing.T, e *env, id string) string {
	t.Helper()
	s := e.s.(*sqlStore)
	q := `SELECT id || '|' || subdomain || '|' || region || '|' || client_id || '|' || client_secret || '|' ||
		scope_level || '|' || status || '|' || status_message FROM integrations WHERE id = $1`
	if s.d == postgresDialect {
		q = `SELECT row_to_json(i)::text FROM integrations i WHERE id = $1`
	}
	var raw string
	ok(t, s.db.queryRow(e.ctx, q, id).Scan(&raw))
	return raw
}
