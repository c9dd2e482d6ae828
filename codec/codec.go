// Package codec encrypts olflow's Temporal payloads. Every payload a client
// or worker sends to the server (workflow inputs and results, activity
// arguments, heartbeats, memos, summaries) is compressed with zlib and then
// sealed with AES-256-GCM under the newest key of a keyring; the key id
// travels in the payload's metadata, so older keys keep opening older
// history after a rotation.
//
// The package depends only on the Temporal SDK and seal, so the
// product backend can build its client with the same converter as the
// workers without importing them.
package codec

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sync"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/olflow/olflow/seal"
)

// Metadata written on every encrypted payload.
const (
	// MetadataEncoding is the value of the payload's "encoding" metadata.
	MetadataEncoding = "binary/encrypted"
	// MetadataKeyID names the keyring entry that sealed the payload.
	MetadataKeyID = "encryption-key-id"
	// MetadataFormat names how the plaintext was prepared and sealed, so a
	// future format cannot be mistaken for this one.
	MetadataFormat = "encryption-format"
	// Format is this package's format: the original payload as protobuf,
	// zlib-compressed, sealed with AES-256-GCM (nonce prepended).
	Format = "olflow/zlib+aes256gcm/v1"
)

// aad binds ciphertexts to their use: a sealed client secret copied into a
// payload does not open as one, and the reverse.
const aad = "temporal-payload"

// gcmNonceSize is the nonce length seal uses (the GCM standard).
const gcmNonceSize = 12

// maxDecoded bounds what one payload may inflate to. Temporal refuses
// payloads over 2 MiB, so anything near this is an attack or corruption.
const maxDecoded = 64 << 20

var (
	// ErrNoKeys reports a payload to encrypt or decrypt without a keyring.
	ErrNoKeys = errors.New("codec: no payload keys configured (set OLFLOW_CODEC_KEYS)")
	// ErrFormat reports an encrypted payload in a format this code does not know.
	ErrFormat = errors.New("codec: unknown encrypted payload format")
)

// Codec is a converter.PayloadCodec. It is safe for concurrent use.
type Codec struct {
	keys *seal.Keyring
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec sealing with keys' newest key. With nil keys it only
// passes unencrypted payloads through: encoding anything fails, so a
// misconfigured process cannot write plaintext into history.
func New(keys *seal.Keyring) *Codec { return &Codec{keys: keys} }

// DataConverter is Temporal's default converter with this codec applied;
// give the same one to clients, workers, replayers and the test
// environment.
func DataConverter(keys *seal.Keyring) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(keys))
}

// KeyIDs are the ids of the codec's keys, newest first (for logs).
func (c *Codec) KeyIDs() []string { return c.keys.IDs() }

// Encode seals every payload.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	if len(payloads) == 0 {
		return payloads, nil
	}
	if c.keys.NewestID() == "" {
		return nil, ErrNoKeys
	}
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		raw, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: marshal payload: %w", err)
		}
		z, err := compress(raw)
		if err != nil {
			return nil, fmt.Errorf("codec: compress: %w", err)
		}
		sealed, err := c.keys.Seal(seal.NewSecret(z), aad)
		if err != nil {
			return nil, fmt.Errorf("codec: %w", err)
		}
		data := make([]byte, 0, len(sealed.Nonce)+len(sealed.Ciphertext))
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncoding),
				MetadataKeyID:              []byte(sealed.KeyID),
				MetadataFormat:             []byte(Format),
			},
			Data: append(append(data, sealed.Nonce...), sealed.Ciphertext...),
		}
	}
	return out, nil
}

// zlibWriters are reused: a new writer allocates about 800 KB of
// compressor state, far more than the payload (a heartbeat is a few bytes),
// and every activity input, result and heartbeat is encoded.
var zlibWriters = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}

func compress(raw []byte) (string, error) {
	var z bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&z)
	if _, err := zw.Write(raw); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return z.String(), nil
}

// Decode opens encrypted payloads and passes any other through unchanged
// (search attributes and histories written before encryption are plain).
// A payload sealed with a key this process lacks fails only the workflow
// task, so a worker deployed with the key picks the workflow up again.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncoding {
			out[i] = p
			continue
		}
		d, err := c.open(p)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func (c *Codec) open(p *commonpb.Payload) (*commonpb.Payload, error) {
	if string(p.Metadata[MetadataFormat]) != Format {
		return nil, ErrFormat
	}
	if c.keys.NewestID() == "" {
		return nil, converter.NewWorkflowTaskFailureError(ErrNoKeys)
	}
	if len(p.Data) < gcmNonceSize {
		return nil, fmt.Errorf("codec: %w", seal.ErrOpen)
	}
	s := seal.Sealed{KeyID: string(p.Metadata[MetadataKeyID]), Nonce: p.Data[:gcmNonceSize:gcmNonceSize], Ciphertext: p.Data[gcmNonceSize:]}
	secret, err := c.keys.Open(s, aad)
	if errors.Is(err, seal.ErrUnknownKey) {
		return nil, converter.NewWorkflowTaskFailureError(fmt.Errorf("codec: %w (add it to OLFLOW_CODEC_KEYS)", err))
	}
	if err != nil {
		return nil, fmt.Errorf("codec: %w", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader([]byte(secret.Reveal())))
	if err != nil {
		return nil, fmt.Errorf("codec: decompress: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxDecoded+1))
	if err != nil {
		return nil, fmt.Errorf("codec: decompress: %w", err)
	}
	if len(raw) > maxDecoded {
		return nil, errors.New("codec: payload inflates beyond 64 MiB")
	}
	var d commonpb.Payload
	if err := proto.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("codec: unmarshal payload: %w", err)
	}
	return &d, nil
}
