package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/seal"
)

// badInput is one malformed command line and how the CLI must refuse it.
type badInput struct {
	name  string
	args  []string          // after --json; {dir} is the case's directory
	stdin string            // what stdin holds
	env   map[string]string // on top of matrixEnv
	files map[string]string // written into {dir} first
	exit  int
	code  string
	field string
}

// deadAddress is a Temporal address nothing listens on: a case that
// passed every check and tried to start a workflow ends as network, not
// as the refusal it expects.
func deadAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func matrixEnv(t *testing.T) map[string]string {
	t.Helper()
	key := func(id string) string {
		k, err := seal.GenerateKey()
		require.NoError(t, err)
		return id + ":" + k
	}
	return map[string]string{"OLFLOW_TEMPORAL_ADDRESS": deadAddress(t), "OLFLOW_CODEC_KEYS": key("c1"), "OLFLOW_SEAL_KEYS": key("s1"),
		"OLFLOW_ONELOGIN_CLIENT_SECRET": "s3cret", "USER": "tester"}
}

const (
	usage   = "usage"
	invalid = "invalid_input"
)

func refused(field string) (int, string, string) { return 2, invalid, field }

func matrixCases() []badInput {
	var cs []badInput
	add := func(name string, args []string, result func() (int, string, string), mods ...func(*badInput)) {
		c := badInput{name: name, args: args}
		c.exit, c.code, c.field = result()
		for _, m := range mods {
			m(&c)
		}
		cs = append(cs, c)
	}
	usageErr := func() (int, string, string) { return 2, usage, "" }
	field := func(f string) func() (int, string, string) { return func() (int, string, string) { return refused(f) } }
	withEnv := func(k, v string) func(*badInput) {
		return func(c *badInput) {
			if c.env == nil {
				c.env = map[string]string{}
			}
			c.env[k] = v
		}
	}
	withFile := func(name, content string) func(*badInput) {
		return func(c *badInput) {
			if c.files == nil {
				c.files = map[string]string{}
			}
			c.files[name] = content
		}
	}
	withStdin := func(s string) func(*badInput) { return func(c *badInput) { c.stdin = s } }

	// connect: subdomains, regions, client ids and secrets, intervals.
	connect := func(extra ...string) []string {
		base := map[string]string{"--subdomain": "acme", "--client-id": "cid"}
		args := []string{"connect", "-i", "acme"}
		for i := 0; i < len(extra); i += 2 {
			if _, ok := base[extra[i]]; ok {
				base[extra[i]] = extra[i+1]
				continue
			}
			args = append(args, extra[i], extra[i+1])
		}
		return append(args, "--subdomain", base["--subdomain"], "--client-id", base["--client-id"])
	}
	for _, sub := range []string{"", " ", "acme corp", "acme.example.com", "http://acme.onelogin.com", "ftp://acme.onelogin.com",
		"https://acme.onelogin.com/path", "acme.onelogin.com:8080", "user@acme.onelogin.com", "-acme", "acme-", "ac_me", "äcme",
		strings.Repeat("a", 64), "acme.onelogin.com.evil.com", "*.onelogin.com", "acme/../x", "acme\n.onelogin.com"} {
		add("subdomain "+sub, connect("--subdomain", sub), field("subdomain"))
	}
	for _, region := range []string{"asia", "u s", "us,eu", "EUR", "1"} {
		add("region "+region, connect("--region", region), field("region"))
	}
	for _, id := range []string{"", "   "} {
		add("client id "+id, connect("--client-id", id), field("client_id"))
	}
	add("client secret nowhere", connect(), usageErr, withEnv("OLFLOW_ONELOGIN_CLIENT_SECRET", ""))
	add("client secret file missing", connect("--client-secret-file", "{dir}/nope"), field("client_secret_file"))
	add("client secret file empty", connect("--client-secret-file", "{dir}/empty"), usageErr, withFile("empty", " \n"))
	for _, iv := range []string{"30s", "-5m", "1ns"} {
		add("sync interval "+iv, connect("--sync-interval", iv), field("sync_interval"))
	}
	for _, iv := range []string{"soon", "5", "1 h"} {
		add("sync interval "+iv, connect("--sync-interval", iv), usageErr)
	}
	add("connect without subdomain", []string{"connect", "-i", "acme", "--client-id", "cid"}, usageErr)
	add("connect with an argument", append(connect(), "extra"), usageErr)

	// Integration ids, on every command that takes one.
	badIDs := []string{"", "has space", "a/b", strings.Repeat("i", 129), "tab\tx"}
	for _, id := range badIDs {
		q := fmt.Sprintf("%q", id)
		add("connect integration "+q, []string{"connect", "-i", id, "--subdomain", "acme", "--client-id", "cid"}, field("integration_id"))
		add("sync integration "+q, []string{"sync", "-i", id}, field("integration_id"))
		add("disconnect integration "+q, []string{"disconnect", "-i", id}, field("integration_id"))
		add("suspend integration "+q, []string{"suspend-users", "-i", id, "-u", "1"}, field("integration_id"))
	}
	for _, sub := range []string{"show", "pause", "resume", "trigger"} {
		add("schedule "+sub+" integration", []string{"schedule", sub, "-i", "a b"}, field("integration_id"))
	}
	add("status integration", []string{"status", "-i", "a/b", "--store", "sqlite://{dir}/none.db"}, field("integration_id"))
	for _, mode := range []string{"fast", "full!", "delta"} {
		add("sync mode "+mode, []string{"sync", "-i", "acme", "--mode", mode}, field("mode"))
	}

	// Users, request ids, parallelism: bulk actions.
	act := func(cmd string, extra ...string) []string {
		return append([]string{cmd, "-i", "acme", "--request-id", "r-1"}, extra...)
	}
	add("user empty", act("suspend-users", "-u", ""), field("users"))
	for _, u := range []string{"id:0", "id:-1", "id:x", "phone:555", "username:", "id:99999999999999999999"} {
		add("user "+u, act("suspend-users", "-u", u), usageErr)
	}
	for _, u := range []string{"email:nobody", "*", "a*b", "!bob", "email:*@x.com", "username:!root", "email:"} {
		f := "users[0]"
		add("user "+u, act("activate-users", "-u", u), field(f))
	}
	add("second user bad", act("suspend-users", "-u", "1", "-u", "email:x"), field("users[1]"))
	ids := make([]string, api.MaxExplicitUsers+1)
	for i := range ids {
		ids[i] = fmt.Sprint(i + 1)
	}
	add("too many users named", act("suspend-users", "-u", strings.Join(ids, ",")), field("users"))
	for _, p := range []string{"-1", "51", "1000"} {
		add("parallelism "+p, act("suspend-users", "-u", "1", "--parallelism", p), field("parallelism"))
	}
	add("parallelism x", act("suspend-users", "-u", "1", "--parallelism", "x"), usageErr)
	for _, rid := range []string{"has space", "a/b", strings.Repeat("r", 129), "line\nbreak", "ü"} {
		add(fmt.Sprintf("request id %q", rid), []string{"suspend-users", "-i", "acme", "--request-id", rid, "-u", "1"}, field("request_id"))
	}
	add("no users, group or role", []string{"suspend-users", "-i", "acme"}, field("users"))
	add("unknown flag", act("suspend-users", "-u", "1", "--force"), usageErr)
	for _, cmd := range []string{"generate-password-reset-link", "send-password-reset-email"} {
		add(cmd+" bad email", act(cmd, "-u", "email:nobody"), field("users[0]"))
	}

	// Group and role ids.
	for _, cmd := range []string{"add-users-to-group", "remove-users-from-group", "check-group-membership"} {
		for _, g := range []string{"0", "-1"} {
			add(cmd+" group "+g, act(cmd, "-u", "1", "--group", g), field("group_id"))
		}
		for _, g := range []string{"abc", "99999999999999999999", "1.5"} {
			add(cmd+" group "+g, act(cmd, "-u", "1", "--group", g), usageErr)
		}
		add(cmd+" no group", act(cmd, "-u", "1"), usageErr)
	}
	for _, cmd := range []string{"add-users-to-role", "remove-users-from-role"} {
		for _, r := range []string{"0", "-7"} {
			add(cmd+" role "+r, act(cmd, "-u", "1", "--role", r), field("role_id"))
		}
		add(cmd+" role x", act(cmd, "-u", "1", "--role", "x"), usageErr)
		add(cmd+" no role", act(cmd, "-u", "1"), usageErr)
	}

	// Onboarding and offboarding.
	add("onboard reset sms", act("onboard-user", "-u", "1", "--reset", "sms"), field("reset"))
	add("onboard role 0", act("onboard-user", "-u", "1", "--role", "0"), field("role_ids[0]"))
	add("onboard role twice", act("onboard-user", "-u", "1", "--role", "5", "--role", "5"), field("role_ids[1]"))
	add("onboard group -2", act("onboard-user", "-u", "1", "--group", "-2"), field("group_id"))
	add("onboard nothing to do", act("onboard-user", "-u", "1", "--activate=false"), field("steps"))
	add("onboard two users", act("onboard-user", "-u", "1", "-u", "2"), usageErr)
	add("onboard bad user", act("onboard-user", "-u", "email:x"), field("user"))
	add("offboard nothing to do", act("offboard-user", "-u", "1", "--suspend=false", "--logout=false", "--remove-roles=false", "--clear-group=false"), field("steps"))
	add("offboard two users", act("offboard-user", "-u", "1,2"), usageErr)

	// Passwords: files, stdin and the variable; limits; never trimmed.
	pw := func(extra ...string) []string {
		return act("set-user-password", append([]string{"-u", "1"}, extra...)...)
	}
	add("password file missing (finding 3)", pw("--password-file", "{dir}/nope"), field("password_file"))
	add("password file 3 MiB (finding 3)", pw("--password-file", "{dir}/big"), field("password_file"), withFile("big", strings.Repeat("x", 3<<20)))
	add("password file 5 KiB", pw("--password-file", "{dir}/big"), field("password_file"), withFile("big", strings.Repeat("x", 5<<10)))
	add("password stdin 3 MiB", pw("--password-file", "-"), field("password_file"), withStdin(strings.Repeat("x", 3<<20)))
	add("password file empty", pw("--password-file", "{dir}/empty"), field("password_file"), withFile("empty", ""))
	add("password file only a newline", pw("--password-file", "{dir}/nl"), field("password_file"), withFile("nl", "\n"))
	add("password file is a directory", pw("--password-file", "{dir}"), field("password_file"))
	add("password 129 characters", pw("--password-file", "{dir}/long"), field("password"), withFile("long", strings.Repeat("p", 129)+"\n"))
	add("password two lines", pw("--password-file", "{dir}/two"), field("password"), withFile("two", "first\nsecond\n"))
	add("password two trailing newlines", pw("--password-file", "{dir}/two"), field("password"), withFile("two", "pw\n\n"))
	add("password with a tab", pw("--password-file", "{dir}/tab"), field("password"), withFile("tab", "pass\tword"))
	add("password not UTF-8", pw("--password-file", "{dir}/bin"), field("password"), withFile("bin", "\xff\xfepw"))
	add("password with NUL", pw("--password-file", "-"), field("password"), withStdin("pw\x00x"))
	add("password variable too long", pw(), field("password"), withEnv("OLFLOW_USER_PASSWORD", strings.Repeat("é", 200)))
	add("password variable with newline", pw(), field("password"), withEnv("OLFLOW_USER_PASSWORD", "pw\n"))
	add("password nowhere", pw(), usageErr)
	add("password without waiting", pw("--password-file", "-", "--wait=false"), usageErr, withStdin("good-pw\n"))
	add("password two users", act("set-user-password", "-u", "1", "-u", "2", "--password-file", "-"), usageErr, withStdin("pw\n"))
	add("password bad user", act("set-user-password", "-u", "email:x", "--password-file", "-"), field("user"), withStdin("pw\n"))

	// replay: files that are not histories, and its sources (finding 3).
	replay := func(file string) []string { return []string{"replay", file} }
	add("replay missing file", replay("{dir}/nope.json"), field("file"))
	add("replay empty file", replay("{dir}/h.json"), field("file"), withFile("h.json", ""))
	add("replay garbage", replay("{dir}/h.json"), field("file"), withFile("h.json", "garbage \x00\x01"))
	add("replay truncated JSON", replay("{dir}/h.json"), field("file"), withFile("h.json", `{"events":[{"eventId":"1",`))
	add("replay another JSON", replay("{dir}/h.json"), field("file"), withFile("h.json", `{"users":[1,2]}`))
	add("replay JSON list", replay("{dir}/h.json"), field("file"), withFile("h.json", `[]`))
	add("replay no start event", replay("{dir}/h.json"), field("file"), withFile("h.json", `{"events":[]}`))
	add("replay a directory", replay("{dir}"), field("file"))
	add("replay second file missing", []string{"replay", "-f", "{dir}/nope1", "-f", "{dir}/nope2"}, field("file"))
	add("replay no source", []string{"replay"}, usageErr)
	add("replay two sources", []string{"replay", "-w", "x", "--query", "y"}, usageErr)
	add("replay failed-since and query", []string{"replay", "--failed-since", "1h", "--query", "y"}, usageErr)
	add("replay failed-since soon", []string{"replay", "--failed-since", "soon"}, usageErr)
	add("replay limit x", []string{"replay", "-w", "x", "--limit", "x"}, usageErr)

	// Configuration and the rest of the command line.
	add("TLS maybe", []string{"keygen"}, usageErr, withEnv("OLFLOW_TLS", "maybe"))
	add("codec keys garbage", act("suspend-users", "-u", "1"), usageErr, withEnv("OLFLOW_CODEC_KEYS", "not-a-key"))
	add("seal keys garbage", pw("--password-file", "-"), usageErr, withEnv("OLFLOW_SEAL_KEYS", "k1:short"), withStdin("pw\n"))
	add("seal keys file missing", []string{"connect", "-i", "acme", "--subdomain", "acme", "--client-id", "c", "--seal-keys-file", "{dir}/nope"}, usageErr)
	add("shutdown timeout soon", []string{"worker"}, usageErr, withEnv("OLFLOW_SHUTDOWN_TIMEOUT", "soon"))
	add("keygen bad id", []string{"keygen", "--id", "bad id"}, usageErr)
	add("keygen empty id", []string{"keygen", "--id", ""}, usageErr)
	add("unknown command", []string{"frobnicate"}, usageErr)
	add("status runs x", []string{"status", "-i", "acme", "--runs", "x"}, usageErr)
	return cs
}

// TestBadInputMatrix runs every malformed command line through Main with
// a Temporal address nothing listens on: each must be refused with its
// exit code, error code and field, print one JSON error document, start
// no workflow (a start would fail as network instead) and write nothing.
func TestBadInputMatrix(t *testing.T) {
	cases := matrixCases()
	require.GreaterOrEqual(t, len(cases), 100)
	base := matrixEnv(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
			}
			before := listDir(t, dir)
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			args := []string{"--json"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "{dir}", dir))
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			var out, errb bytes.Buffer
			exit := Main(ctx, args, Env{Stdin: strings.NewReader(tc.stdin), Stdout: &out, Stderr: &errb,
				Getenv: func(k string) string { return env[k] }})
			var doc struct {
				Error struct{ Code, Field, Message string }
			}
			require.NoError(t, json.Unmarshal(out.Bytes(), &doc), "one JSON document on stdout: %q (stderr %q)", out.String(), errb.String())
			assert.Equal(t, tc.code, doc.Error.Code, "code; message %q", doc.Error.Message)
			assert.Equal(t, tc.field, doc.Error.Field, "field; message %q", doc.Error.Message)
			assert.Equal(t, tc.exit, exit, "exit code; message %q", doc.Error.Message)
			assert.NotEmpty(t, doc.Error.Message)
			assert.Equal(t, before, listDir(t, dir), "nothing written")
		})
	}
}

// The matrix's dead address does catch a case that gets through: valid
// requests end as network errors (exit 1), never as refusals. A password
// with padded spaces is valid (finding 4): it is not refused, and it is
// sent as it was given (TestPasswordsAreTakenByteForByte).
func TestMatrixCatchesWhatReachesTemporal(t *testing.T) {
	env := matrixEnv(t)
	dir := t.TempDir()
	padded := filepath.Join(dir, "padded")
	require.NoError(t, os.WriteFile(padded, []byte("  padded pw  \n"), 0o600))
	for _, args := range [][]string{
		{"suspend-users", "-i", "acme", "--request-id", "r-1", "-u", "1", "--wait=false"},
		{"sync", "-i", "acme", "--mode", "FULL "},
		{"set-user-password", "-i", "acme", "--request-id", "r-2", "-u", "1", "--password-file", padded},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		var out bytes.Buffer
		exit := Main(ctx, append([]string{"--json"}, args...), Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &bytes.Buffer{},
			Getenv: func(k string) string { return env[k] }})
		cancel()
		var doc struct{ Error struct{ Code, Field string } }
		require.NoError(t, json.Unmarshal(out.Bytes(), &doc), out.String())
		assert.Equal(t, "network", doc.Error.Code, "%v: %s", args, out.String())
		assert.Equal(t, 1, exit, "%v", args)
	}
}

// Finding 4: a password file's bytes are the password, spaces included;
// only the one line break an editor or echo adds is dropped. The variable
// is taken exactly as set.
func TestPasswordsAreTakenByteForByte(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{
		"  padded pw  \n": "  padded pw  ",
		"  padded pw  ":   "  padded pw  ",
		"crlf\r\n":        "crlf",
		"two\n\n":         "two\n",
		" ":               " ",
	} {
		file := filepath.Join(dir, "pw")
		require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
		a := &app{Env: Env{Getenv: func(string) string { return "" }}}
		got, err := a.readPassword(file, "PW")
		require.NoError(t, err, "%q", content)
		assert.Equal(t, want, got.Reveal(), "%q", content)
		a.Stdin = strings.NewReader(content)
		got, err = a.readPassword("-", "PW")
		require.NoError(t, err)
		assert.Equal(t, want, got.Reveal(), "stdin %q", content)
	}
	a := &app{Env: Env{Getenv: func(string) string { return " spaced " }}}
	got, err := a.readPassword("", "PW")
	require.NoError(t, err)
	assert.Equal(t, " spaced ", got.Reveal())
}

func listDir(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	require.NoError(t, filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		out[path] = info.Size()
		return nil
	}))
	return out
}
