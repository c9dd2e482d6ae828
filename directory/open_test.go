package directory

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenDSNForms(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, dsn := range []string{
		"sqlite://" + filepath.Join(dir, "a.db"),
		"sqlite:" + filepath.Join(dir, "b.db"),
		filepath.Join(dir, "c.db"),
		"sqlite::memory:",
		":memory:",
	} {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		ok(t, s.PutIntegration(ctx, Integration{ID: "x", Region: "us", Status: StatusConnected}))
		ok(t, s.Close())
	}
	for _, f := range []string{"a.db", "b.db", "c.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not created: %v", f, err)
		}
	}
}

func TestOpenErrorsHidePasswords(t *testing.T) {
	ctx := context.Background()
	const pw = "s3cr3t-dsn-password"
	for _, dsn := range []string{
		"mysql://user:" + pw + "@db/x",
		"postgres://user:" + pw + "@127.0.0.1:1/x?connect_timeout=2",
		"postgres://user:" + pw + "@127.0.0.1:1/x?sslmode=bogus",
		"",
	} {
		s, err := Open(ctx, dsn)
		if err == nil {
			_ = s.Close()
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("error leaks the DSN password: %v", err)
		}
	}
}
