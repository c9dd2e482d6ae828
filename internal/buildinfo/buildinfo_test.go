package buildinfo

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGet(t *testing.T) {
	none := func() vcs { return vcs{} }
	clean := func() vcs { return vcs{revision: "1a2b3c4d5e6f"} }
	dirty := func() vcs { return vcs{revision: "1a2b3c4d5e6f", modified: true} }
	for _, tc := range []struct {
		name             string
		version, buildID string
		read             func() vcs
		wantVersion      string
		wantBuildID      string
	}{
		{"linked", "v0.2.0", "v0.2.0+abc1234", clean, "v0.2.0", "v0.2.0+abc1234"},
		{"linked build id wins over a dirty tree", "v0.2.0", "v0.2.0+abc1234", dirty, "v0.2.0", "v0.2.0+abc1234"},
		{"version only", "v0.2.0", "", clean, "v0.2.0", "v0.2.0+1a2b3c4"},
		{"plain go build", "", "", clean, "dev", "dev+1a2b3c4"},
		{"plain go build, uncommitted changes", "", "", dirty, "dev", "dev+1a2b3c4-dirty"},
		{"no vcs stamp (go test, go run)", "", "", none, "dev", "dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := get(tc.version, tc.buildID, tc.read)
			assert.Equal(t, tc.wantVersion, got.Version)
			assert.Equal(t, tc.wantBuildID, got.BuildID)
			assert.NotEmpty(t, got.GoVersion)
		})
	}
}

func TestGetFromThisBinary(t *testing.T) {
	// go test links neither value; the fallback still names a build.
	info := Get()
	assert.Equal(t, "dev", info.Version)
	assert.Regexp(t, `^dev(\+[0-9a-f]{7}(-dirty)?)?$`, info.BuildID)
}
