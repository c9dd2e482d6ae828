package seal

import (
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"unsafe"
)

// Redacted is what every rendering of a Secret shows.
const Redacted = "[REDACTED]"

// Secret holds a plaintext secret. All of its renderings show [Redacted];
// [Secret.Reveal] is the only way to read the text. The zero value is an empty
// secret. There are deliberately no Unmarshal methods: a redacted rendering
// must never be read back as if it were the secret; seal values that travel.
type Secret struct {
	// The text is reachable only through an unsafe.Pointer: printers that walk
	// values by reflection (a Secret in an unexported field, where fmt cannot
	// call our methods, or fmt's %!verb(...) fallback) show a pointer as a bare
	// address, whereas a *struct would be dereferenced and printed. It also
	// keeps Secret comparable (== is identity), unlike a func field.
	p unsafe.Pointer // *string, nil for the empty secret
}

// NewSecret wraps plaintext.
func NewSecret(plaintext string) Secret {
	if plaintext == "" {
		return Secret{}
	}
	return Secret{p: unsafe.Pointer(&plaintext)}
}

// Reveal returns the plaintext. Call it only where the text is handed to the
// party that needs it (an HTTP request body, a cipher).
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *(*string)(s.p)
}

// Equal reports whether two secrets hold the same text, in constant time.
func (s Secret) Equal(o Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.Reveal()), []byte(o.Reveal())) == 1
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.p == nil }

// String implements fmt.Stringer.
func (Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer (%#v).
func (Secret) GoString() string { return Redacted }

// Format implements fmt.Formatter so that every verb, flag and width renders
// the redaction.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, Redacted) }

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler (XML, map keys, text loggers).
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }
