// Package version reports the version of the running binary.
package version

import (
	"runtime/debug"
)

// Set at link time with -ldflags "-X khien.vn/khien/internal/version.Version=…".
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// Info describes the build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"go_version"`
}

// Get returns the build information, filling gaps from runtime/debug.
func Get() Info {
	in := Info{Version: Version, Commit: Commit, Date: Date}
	if bi, ok := debug.ReadBuildInfo(); ok {
		in.GoVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if in.Commit == "" {
					in.Commit = s.Value
				}
			case "vcs.time":
				if in.Date == "" {
					in.Date = s.Value
				}
			}
		}
	}
	return in
}

// String formats the information on one line.
func (in Info) String() string {
	s := "khien " + in.Version
	if in.Commit != "" {
		c := in.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (" + c + ")"
	}
	if in.Date != "" {
		s += " " + in.Date
	}
	return s + " " + in.GoVersion
}
