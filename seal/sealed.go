package seal

import (
	"encoding/base64"
	"errors"
	"strings"
)

// sealedPrefix starts the text form of a Sealed and names its format version.
const sealedPrefix = "sealed:v1:"

// Sealed is a secret encrypted by a Keyring. It contains no plaintext, so it
// may be stored, logged and carried in workflow payloads. Its text (and JSON)
// form is one string, "sealed:v1:<key id>:<base64url(nonce||ciphertext)>".
type Sealed struct {
	KeyID      string // id of the key that sealed it
	Nonce      []byte
	Ciphertext []byte // includes the GCM tag
}

// ErrMalformed reports a Sealed text that cannot be parsed.
var ErrMalformed = errors.New("seal: malformed sealed value")

// IsZero reports whether s holds nothing (no secret was sealed).
func (s Sealed) IsZero() bool { return s.KeyID == "" && len(s.Nonce) == 0 && len(s.Ciphertext) == 0 }

// String returns the text form; the zero Sealed is "".
func (s Sealed) String() string {
	if s.IsZero() {
		return ""
	}
	body := make([]byte, 0, len(s.Nonce)+len(s.Ciphertext))
	body = append(append(body, s.Nonce...), s.Ciphertext...)
	return sealedPrefix + s.KeyID + ":" + base64.RawURLEncoding.EncodeToString(body)
}

// ParseSealed parses the text form made by String. "" gives the zero Sealed.
func ParseSealed(text string) (Sealed, error) {
	if text == "" {
		return Sealed{}, nil
	}
	rest, ok := strings.CutPrefix(text, sealedPrefix)
	if !ok {
		return Sealed{}, ErrMalformed
	}
	id, enc, ok := strings.Cut(rest, ":")
	if !ok || validID(id) != nil {
		return Sealed{}, ErrMalformed
	}
	body, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(body) < nonceSize+tagSize {
		return Sealed{}, ErrMalformed
	}
	return Sealed{KeyID: id, Nonce: body[:nonceSize:nonceSize], Ciphertext: body[nonceSize:]}, nil
}

// MarshalText implements encoding.TextMarshaler (and so JSON).
func (s Sealed) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (and so JSON).
func (s *Sealed) UnmarshalText(text []byte) error {
	v, err := ParseSealed(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
