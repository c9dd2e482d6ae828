// Package buildinfo says which build this binary is. The Makefile sets
// Version and BuildID at link time:
//
//	go build -ldflags "-X github.com/olflow/olflow/internal/buildinfo.Version=v0.2.0
//	  -X github.com/olflow/olflow/internal/buildinfo.BuildID=v0.2.0+1a2b3c4"
//
// A worker declares BuildID to Temporal's Worker Deployments, so two
// binaries with different workflow code must never share one.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set by the linker (-X); empty in a plain go build or go test.
var (
	Version string
	BuildID string
)

// Unknown is the build ID of a binary built without make and without VCS
// stamping (go run, go test, a docker build without .git): every such
// binary has it, so it tells no two builds apart.
const Unknown = "dev"

// Info describes this binary, for `olflow version`.
type Info struct {
	Version   string `json:"version"`
	BuildID   string `json:"build_id"`
	Commit    string `json:"commit,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go_version"`
}

// Get reports this binary's build. Without link-time values it falls back
// to what go build stamps itself (the VCS revision), so that a binary built
// by hand still has a build ID telling it apart from other commits.
func Get() Info {
	return get(Version, BuildID, readVCS)
}

type vcs struct {
	revision string
	modified bool
}

func readVCS() vcs {
	var v vcs
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.revision = s.Value
		case "vcs.modified":
			v.modified = s.Value == "true"
		}
	}
	return v
}

func get(version, buildID string, read func() vcs) Info {
	v := read()
	info := Info{Version: version, BuildID: buildID, Commit: v.revision, Modified: v.modified, GoVersion: runtime.Version()}
	if info.Version == "" {
		info.Version = Unknown
	}
	if info.BuildID == "" {
		info.BuildID = info.Version
		if v.revision != "" {
			info.BuildID += "+" + short(v.revision)
			if v.modified {
				// Uncommitted changes may change workflow code: such a
				// build must not pass for the commit it started from.
				info.BuildID += "-dirty"
			}
		}
	}
	return info
}

func short(rev string) string {
	if len(rev) > 7 {
		return rev[:7]
	}
	return rev
}
