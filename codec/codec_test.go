package codec_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/seal"
)

func keyring(t testing.TB, ids ...string) *seal.Keyring {
	t.Helper()
	var entries []string
	for _, id := range ids {
		k, err := seal.GenerateKey()
		require.NoError(t, err)
		entries = append(entries, id+":"+k)
	}
	ring, err := seal.ParseKeyring(strings.Join(entries, ","))
	require.NoError(t, err)
	return ring
}

type order struct {
	Name   string
	Secret string
	Lines  []string
}

func TestRoundTripThroughTheDataConverter(t *testing.T) {
	dc := codec.DataConverter(keyring(t, "k1"))
	in := order{Name: "acme", Secret: "hunter2-plaintext", Lines: []string{strings.Repeat("same line ", 500)}}
	p, err := dc.ToPayload(in)
	require.NoError(t, err)
	assert.Equal(t, codec.MetadataEncoding, string(p.Metadata[converter.MetadataEncoding]))
	assert.Equal(t, "k1", string(p.Metadata[codec.MetadataKeyID]))
	assert.Equal(t, codec.Format, string(p.Metadata[codec.MetadataFormat]))
	assert.NotContains(t, string(p.Data), "hunter2", "the payload is encrypted")
	assert.NotContains(t, string(p.Data), "json/plain", "the original metadata is inside the ciphertext")
	assert.Less(t, len(p.Data), 500, "zlib runs before encryption (5000 repetitive bytes shrink)")
	var out order
	require.NoError(t, dc.FromPayload(p, &out))
	assert.Equal(t, in, out)
}

func TestMissingKeyFailsTheWorkflowTask(t *testing.T) {
	p, err := codec.New(keyring(t, "old")).Encode([]*commonpb.Payload{{Data: []byte("v")}})
	require.NoError(t, err)
	_, err = codec.New(keyring(t, "new")).Decode(p)
	var wtf *converter.WorkflowTaskFailureError
	require.ErrorAs(t, err, &wtf, "a missing key fails the workflow task, not the workflow")
	assert.ErrorIs(t, err, seal.ErrUnknownKey)
}

func TestRotationWithBothKeys(t *testing.T) {
	k1, err := seal.GenerateKey()
	require.NoError(t, err)
	k2, err := seal.GenerateKey()
	require.NoError(t, err)
	before, err := seal.ParseKeyring("k1:" + k1)
	require.NoError(t, err)
	after, err := seal.ParseKeyring("k2:" + k2 + ",k1:" + k1)
	require.NoError(t, err)

	p, err := codec.New(before).Encode([]*commonpb.Payload{{Data: []byte("written before the rotation")}})
	require.NoError(t, err)
	d, err := codec.New(after).Decode(p)
	require.NoError(t, err)
	assert.Equal(t, "written before the rotation", string(d[0].Data))

	p2, err := codec.New(after).Encode([]*commonpb.Payload{{Data: []byte("x")}})
	require.NoError(t, err)
	assert.Equal(t, "k2", string(p2[0].Metadata[codec.MetadataKeyID]), "the newest key seals")
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	plain := []*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"x"`)}}
	out, err := codec.New(keyring(t, "k")).Decode(plain)
	require.NoError(t, err)
	assert.Same(t, plain[0], out[0])
	out, err = codec.New(nil).Decode(plain)
	require.NoError(t, err, "a process without keys still reads plain payloads")
	assert.Same(t, plain[0], out[0])
}

func TestWithoutKeysNothingIsWrittenInPlaintext(t *testing.T) {
	_, err := codec.New(nil).Encode([]*commonpb.Payload{{Data: []byte("secret")}})
	assert.ErrorIs(t, err, codec.ErrNoKeys)
	out, err := codec.New(nil).Encode(nil)
	require.NoError(t, err, "nothing to encode is fine")
	assert.Empty(t, out)

	p, err := codec.New(keyring(t, "k")).Encode([]*commonpb.Payload{{Data: []byte("secret")}})
	require.NoError(t, err)
	_, err = codec.New(nil).Decode(p)
	assert.ErrorIs(t, err, codec.ErrNoKeys)
}

func TestTamperingIsDetected(t *testing.T) {
	c := codec.New(keyring(t, "k"))
	p, err := c.Encode([]*commonpb.Payload{{Data: []byte("amount=10")}})
	require.NoError(t, err)
	p[0].Data[len(p[0].Data)-1] ^= 1
	_, err = c.Decode(p)
	assert.ErrorIs(t, err, seal.ErrOpen)

	p, err = c.Encode([]*commonpb.Payload{{Data: []byte("amount=10")}})
	require.NoError(t, err)
	p[0].Metadata[codec.MetadataFormat] = []byte("something/else")
	_, err = c.Decode(p)
	assert.ErrorIs(t, err, codec.ErrFormat)

	p[0].Metadata[codec.MetadataFormat] = []byte(codec.Format)
	p[0].Data = p[0].Data[:5]
	_, err = c.Decode(p)
	assert.Error(t, err)
}

func TestSealedSecretsDoNotOpenAsPayloads(t *testing.T) {
	ring := keyring(t, "k")
	sealed, err := ring.Seal(seal.NewSecret("x"), "onelogin-client-secret/acme")
	require.NoError(t, err)
	p := &commonpb.Payload{Metadata: map[string][]byte{
		converter.MetadataEncoding: []byte(codec.MetadataEncoding), codec.MetadataKeyID: []byte("k"),
		codec.MetadataFormat: []byte(codec.Format),
	}, Data: append(bytes.Clone(sealed.Nonce), sealed.Ciphertext...)}
	_, err = codec.New(ring).Decode([]*commonpb.Payload{p})
	assert.True(t, errors.Is(err, seal.ErrOpen), "associated data separates the two uses: %v", err)
}

// BenchmarkEncode encodes a heartbeat-sized payload, as a bulk chunk does
// once per user.
func BenchmarkEncode(b *testing.B) {
	c := codec.New(keyring(b, "k1"))
	p, err := converter.GetDefaultDataConverter().ToPayloads("user 1234")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		_, err := c.Encode(p.Payloads)
		require.NoError(b, err)
	}
}
