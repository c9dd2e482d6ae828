package codec_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/codec"
)

// heartbeat is a payload of the size a sync activity records after every
// page it writes.
func heartbeat(t testing.TB) []*commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayloads(map[string]any{"pages": "1-1241,1250", "users": 62050, "run": 7})
	require.NoError(t, err)
	return p.Payloads
}

// TestEncodeReusesCompressors: a zlib writer's tables take about 800 KiB,
// and a worker encodes a payload for every heartbeat, activity input and
// result; allocating a writer each time was most of what a worker
// allocated during a sync. (Under the race detector sync.Pool drops a
// quarter of what it is given, hence the margin.)
func TestEncodeReusesCompressors(t *testing.T) {
	const runs, perRun = 64, 512 << 10
	c := codec.New(keyring(t, "k1"))
	p := heartbeat(t)
	_, err := c.Encode(p)
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		_, err := c.Encode(p)
		require.NoError(t, err)
	}
	runtime.ReadMemStats(&after)
	if got := (after.TotalAlloc - before.TotalAlloc) / runs; got > perRun {
		t.Errorf("Encode allocates %d KiB a payload, want at most %d KiB", got>>10, perRun>>10)
	}
}

func BenchmarkEncodeHeartbeat(b *testing.B) {
	c := codec.New(keyring(b, "k1"))
	p := heartbeat(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(p); err != nil {
			b.Fatal(err)
		}
	}
}
