package seal_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"testing"

	"github.com/olflow/olflow/seal"
)

const plaintext = "hunter2-client-secret"

func mustKey(t *testing.T) string {
	t.Helper()
	k, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRing(t *testing.T, config string) *seal.Keyring {
	t.Helper()
	r, err := seal.ParseKeyring(config)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	r := mustRing(t, "k1:"+mustKey(t))
	s, err := r.Seal(seal.NewSecret(plaintext), "integration-a")
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID != "k1" || bytes.Contains(s.Ciphertext, []byte(plaintext)) {
		t.Fatalf("unexpected sealed value %+v", s)
	}
	// Through the text form, as it travels in payloads and the database.
	parsed, err := seal.ParseSealed(s.String())
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Open(parsed, "integration-a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Reveal() != plaintext {
		t.Fatalf("Reveal = %q", got.Reveal())
	}
	// And through JSON.
	b, err := json.Marshal(struct{ S seal.Sealed }{s})
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ S seal.Sealed }
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Open(back.S, "integration-a"); err != nil || got.Reveal() != plaintext {
		t.Fatalf("JSON round trip: %v", err)
	}
}

func TestSealedZeroAndMalformed(t *testing.T) {
	if z, err := seal.ParseSealed(""); err != nil || !z.IsZero() || z.String() != "" {
		t.Fatalf("zero: %+v %v", z, err)
	}
	for _, bad := range []string{"x", "sealed:v1:", "sealed:v1:k1", "sealed:v1:k 1:AAAA", "sealed:v1:k1:!!", "sealed:v1:k1:AAAA", "sealed:v2:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := seal.ParseSealed(bad); !errors.Is(err, seal.ErrMalformed) {
			t.Errorf("ParseSealed(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestRotation(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	old := mustRing(t, "k1:"+k1)
	sealedOld, err := old.Seal(seal.NewSecret(plaintext), "ctx")
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustRing(t, "k2:"+k2+", k1:"+k1)
	if rotated.NewestID() != "k2" || strings.Join(rotated.IDs(), ",") != "k2,k1" {
		t.Fatalf("ids %v", rotated.IDs())
	}
	got, err := rotated.Open(sealedOld, "ctx")
	if err != nil || got.Reveal() != plaintext {
		t.Fatalf("old key must still open: %v", err)
	}
	if !rotated.NeedsReseal(sealedOld) {
		t.Fatal("value sealed with k1 needs reseal")
	}
	fresh, err := rotated.Seal(got, "ctx")
	if err != nil {
		t.Fatal(err)
	}
	if fresh.KeyID != "k2" || rotated.NeedsReseal(fresh) {
		t.Fatalf("newest key must seal, got %q", fresh.KeyID)
	}
	// A keyring that dropped k1 reports the unknown key by id.
	if _, err := mustRing(t, "k2:"+k2).Open(sealedOld, "ctx"); !errors.Is(err, seal.ErrUnknownKey) {
		t.Fatalf("got %v, want ErrUnknownKey", err)
	}
}

func TestTamperAndWrongContext(t *testing.T) {
	k1 := mustKey(t)
	r := mustRing(t, "k1:"+k1+",k0:"+mustKey(t))
	s, err := r.Seal(seal.NewSecret(plaintext), "tenant-a")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 1
		return c
	}
	cases := map[string]struct {
		s   seal.Sealed
		aad string
	}{
		"wrong aad":         {s, "tenant-b"},
		"ciphertext bit":    {seal.Sealed{KeyID: s.KeyID, Nonce: s.Nonce, Ciphertext: flip(s.Ciphertext, 0)}, "tenant-a"},
		"tag bit":           {seal.Sealed{KeyID: s.KeyID, Nonce: s.Nonce, Ciphertext: flip(s.Ciphertext, len(s.Ciphertext)-1)}, "tenant-a"},
		"nonce bit":         {seal.Sealed{KeyID: s.KeyID, Nonce: flip(s.Nonce, 3), Ciphertext: s.Ciphertext}, "tenant-a"},
		"key id swapped":    {seal.Sealed{KeyID: "k0", Nonce: s.Nonce, Ciphertext: s.Ciphertext}, "tenant-a"},
		"truncated":         {seal.Sealed{KeyID: s.KeyID, Nonce: s.Nonce, Ciphertext: s.Ciphertext[:5]}, "tenant-a"},
		"short nonce":       {seal.Sealed{KeyID: s.KeyID, Nonce: s.Nonce[:4], Ciphertext: s.Ciphertext}, "tenant-a"},
		"wrong key same id": {s, "tenant-a"},
	}
	for name, c := range cases {
		ring := r
		if name == "wrong key same id" {
			ring = mustRing(t, "k1:"+mustKey(t))
		}
		_, err := ring.Open(c.s, c.aad)
		if !errors.Is(err, seal.ErrOpen) {
			t.Errorf("%s: got %v, want ErrOpen", name, err)
		}
		if err != nil && (strings.Contains(err.Error(), plaintext) || strings.Contains(err.Error(), k1)) {
			t.Errorf("%s: error leaks secret material: %v", name, err)
		}
	}
}

func TestBadConfig(t *testing.T) {
	short := "c2hvcnQ=" // "short"
	good := mustKey(t)
	cases := []string{
		"",
		"   ",
		good,                         // no id
		"k1:" + good + ",",           // trailing empty entry
		"k1:" + good + ",k1:" + good, // duplicate id
		"k1:" + short,                // wrong length
		"k1:not base64 at all!!" + good,
		"bad id:" + good,
		strings.Repeat("x", 33) + ":" + good,
		":" + good,
	}
	for _, c := range cases {
		_, err := seal.ParseKeyring(c)
		if !errors.Is(err, seal.ErrConfig) {
			t.Errorf("ParseKeyring(%q) = %v, want ErrConfig", c, err)
			continue
		}
		if strings.Contains(err.Error(), good) || strings.Contains(err.Error(), short) {
			t.Errorf("error echoes key material: %v", err)
		}
	}
	var empty *seal.Keyring
	if _, err := empty.Seal(seal.NewSecret("x"), ""); !errors.Is(err, seal.ErrConfig) {
		t.Errorf("nil keyring Seal = %v", err)
	}
}

func TestKeyFormats(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb}, 32) // encodes differently in std and URL alphabets
	for _, cfg := range []string{
		"k:" + base64.StdEncoding.EncodeToString(raw),
		"k:" + base64.RawStdEncoding.EncodeToString(raw),
		"k:" + base64.URLEncoding.EncodeToString(raw),
		"k:" + base64.RawURLEncoding.EncodeToString(raw),
	} {
		if _, err := seal.ParseKeyring(cfg); err != nil {
			t.Errorf("ParseKeyring(%q): %v", cfg, err)
		}
	}
}

// secretHolder mimics how callers embed a Secret: exported, unexported, and
// behind a pointer.
type secretHolder struct {
	Name   string
	Secret seal.Secret
	hidden seal.Secret
	Ptr    *seal.Secret
}

type xmlHolder struct{ S seal.Secret }

func TestSecretNeverRendersPlaintext(t *testing.T) {
	s := seal.NewSecret(plaintext)
	h := secretHolder{Name: "n", Secret: s, hidden: s, Ptr: &s}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, &s), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h))
	}
	outs = append(outs, fmt.Sprint(s, h), fmt.Sprintln(s, h), s.String(), s.GoString())

	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	x, err := xml.Marshal(xmlHolder{S: s})
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(x))
	m, err := json.Marshal(map[string]any{"s": s, "list": []seal.Secret{s}})
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(m))

	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("text", "secret", s, "holder", h, "ptr", &s)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("json", "secret", s, "holder", h, slog.Any("any", s))
	log.New(&buf, "", 0).Printf("std log %v %+v %s", s, h, s)
	outs = append(outs, buf.String())

	err = fmt.Errorf("wrapped: %v / %w", s, errors.New(s.String()))
	outs = append(outs, err.Error())

	for _, o := range outs {
		if strings.Contains(o, plaintext) {
			t.Errorf("plaintext leaked: %s", o)
		}
	}
	if !strings.Contains(fmt.Sprint(s), seal.Redacted) || !strings.Contains(string(j), seal.Redacted) {
		t.Error("redaction marker missing")
	}
	if !s.Equal(seal.NewSecret(plaintext)) || s.Equal(seal.NewSecret("other")) {
		t.Error("Equal")
	}
	if s.Reveal() != plaintext || s.IsZero() || !seal.NewSecret("").IsZero() || (seal.Secret{}).Reveal() != "" {
		t.Error("Reveal/IsZero")
	}
}

func TestKeyringNeverRendersKeys(t *testing.T) {
	k := mustKey(t)
	r := mustRing(t, "k1:"+k)
	type holder struct{ r *seal.Keyring }
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("ring", "r", r)
	for _, o := range []string{fmt.Sprintf("%v %+v %#v %s", r, r, r, r), fmt.Sprintf("%+v %#v", holder{r}, *r), buf.String()} {
		if strings.Contains(o, k) || strings.Contains(o, k[:16]) {
			t.Errorf("key material leaked: %s", o)
		}
	}
	if got := r.String(); got != "seal.Keyring[k1]" {
		t.Errorf("String = %q", got)
	}
}
