package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

const (
	keySize   = 32 // AES-256
	nonceSize = 12 // GCM standard nonce
	tagSize   = 16
	maxIDLen  = 32
	// aadPrefix separates our associated data from anyone else's and names the
	// format version, so a future format cannot be confused with this one.
	aadPrefix = "olflow/seal/v1\x00"
)

var (
	// ErrConfig reports an unusable keyring configuration. Its messages name
	// entries by position only and never echo configuration text.
	ErrConfig = errors.New("seal: bad keyring configuration")
	// ErrUnknownKey reports a Sealed made with a key the keyring lacks.
	ErrUnknownKey = errors.New("seal: unknown key id")
	// ErrOpen reports a Sealed that does not authenticate: wrong key, wrong
	// associated data, or tampered bytes.
	ErrOpen = errors.New("seal: cannot open sealed value (wrong key or context, or tampered)")
)

// Keyring seals with its newest key and opens with any of its keys. Build it
// with ParseKeyring. It is safe for concurrent use. Printing a Keyring shows
// its key ids only.
type Keyring struct {
	// Behind a pointer so reflection-based printers never reach the ciphers.
	r *ring
}

type ring struct {
	keys []key // newest first
}

type key struct {
	id   string
	aead cipher.AEAD
}

// ParseKeyring reads a configuration such as "k2:BASE64KEY,k1:BASE64KEY":
// comma-separated entries "id:key", newest first. Ids are 1 to 32 characters
// of [A-Za-z0-9_-] and unique; keys are base64 (standard or URL alphabet,
// padded or not) of exactly 32 bytes. Whitespace around entries is ignored.
func ParseKeyring(config string) (*Keyring, error) {
	r := &ring{}
	seen := map[string]int{}
	for i, entry := range strings.Split(config, ",") {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, fmt.Errorf("%w: entry %d is empty", ErrConfig, n)
		}
		id, enc, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("%w: entry %d is not of the form id:base64key", ErrConfig, n)
		}
		id, enc = strings.TrimSpace(id), strings.TrimSpace(enc)
		if err := validID(id); err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrConfig, n, err)
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%w: entries %d and %d have the same key id", ErrConfig, prev, n)
		}
		seen[id] = n
		raw, err := decodeKey(enc)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: key is not valid base64", ErrConfig, n)
		}
		if len(raw) != keySize {
			return nil, fmt.Errorf("%w: entry %d: key must decode to %d bytes, got %d", ErrConfig, n, keySize, len(raw))
		}
		aead, err := newAEAD(raw)
		clear(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrConfig, n, err)
		}
		r.keys = append(r.keys, key{id: id, aead: aead})
	}
	return &Keyring{r: r}, nil
}

// GenerateKey returns a new random 32-byte key in standard base64, ready for
// an "id:key" keyring entry.
func GenerateKey() (string, error) {
	raw := make([]byte, keySize)
	if _, err := io.ReadFull(rand.Reader, raw); err != nil {
		return "", fmt.Errorf("seal: generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// Seal encrypts s with the newest key. aad is the context the value belongs to
// (for example an integration id); Open must be given the same aad.
func (k *Keyring) Seal(s Secret, aad string) (Sealed, error) {
	if k == nil || k.r == nil || len(k.r.keys) == 0 {
		return Sealed{}, fmt.Errorf("%w: keyring is empty", ErrConfig)
	}
	newest := k.r.keys[0]
	nonce := make([]byte, nonceSize)
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return Sealed{}, fmt.Errorf("seal: nonce: %w", err)
	}
	ct := newest.aead.Seal(nil, nonce, []byte(s.Reveal()), fullAAD(newest.id, aad))
	return Sealed{KeyID: newest.id, Nonce: nonce, Ciphertext: ct}, nil
}

// Open decrypts s with the key named by its KeyID.
func (k *Keyring) Open(s Sealed, aad string) (Secret, error) {
	kk, ok := k.find(s.KeyID)
	if !ok {
		return Secret{}, fmt.Errorf("%w %q", ErrUnknownKey, printableID(s.KeyID))
	}
	if len(s.Nonce) != nonceSize {
		return Secret{}, ErrOpen
	}
	pt, err := kk.aead.Open(nil, s.Nonce, s.Ciphertext, fullAAD(kk.id, aad))
	if err != nil {
		return Secret{}, ErrOpen
	}
	defer clear(pt)
	return NewSecret(string(pt)), nil
}

// NewestID returns the id of the key Seal uses.
func (k *Keyring) NewestID() string {
	if k == nil || k.r == nil || len(k.r.keys) == 0 {
		return ""
	}
	return k.r.keys[0].id
}

// IDs returns the key ids, newest first.
func (k *Keyring) IDs() []string {
	if k == nil || k.r == nil {
		return nil
	}
	ids := make([]string, len(k.r.keys))
	for i, kk := range k.r.keys {
		ids[i] = kk.id
	}
	return ids
}

// NeedsReseal reports whether s was sealed with a key other than the newest,
// so a rotation job can re-seal it.
func (k *Keyring) NeedsReseal(s Sealed) bool { return s.KeyID != k.NewestID() }

// String shows key ids only.
func (k *Keyring) String() string { return "seal.Keyring[" + strings.Join(k.IDs(), " ") + "]" }

// GoString shows key ids only.
func (k *Keyring) GoString() string { return k.String() }

// Format shows key ids only, whatever the verb.
func (k *Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue shows key ids only.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }

func (k *Keyring) find(id string) (key, bool) {
	if k == nil || k.r == nil {
		return key{}, false
	}
	for _, kk := range k.r.keys {
		if kk.id == id {
			return kk, true
		}
	}
	return key{}, false
}

// fullAAD binds the ciphertext to the format, the key id and the caller's
// context. The NUL separator cannot occur in an id, so the split is unambiguous.
func fullAAD(id, aad string) []byte {
	b := make([]byte, 0, len(aadPrefix)+len(id)+1+len(aad))
	b = append(b, aadPrefix...)
	b = append(b, id...)
	b = append(b, 0)
	return append(b, aad...)
}

func newAEAD(raw []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			return raw, nil
		}
	}
	return nil, errors.New("not base64")
}

func validID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("key id must be 1 to %d characters", maxIDLen)
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return errors.New("key id may contain only letters, digits, '_' and '-'")
		}
	}
	return nil
}

// printableID keeps an id read from untrusted input out of error text unless
// it is a well-formed id.
func printableID(id string) string {
	if validID(id) != nil {
		return "(invalid)"
	}
	return id
}
