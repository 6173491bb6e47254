package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version is what `mallbots --version` prints: the module's version and
// the commit it was built from, as `go build` embedded them (the
// vcs.* settings; -buildvcs=false or a build outside a checkout has
// none, and says so).
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "mallbots (no build information: built without module support)"
	}
	return describeBuild(bi)
}

// describeBuild formats build information as one line:
//
//	mallbots v0.0.0-20261124101500-0123456789ab+dirty (commit 0123456789ab…, 2026-11-24T10:15:00Z, modified) go1.26.8
func describeBuild(bi *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	v := bi.Main.Version
	if v == "" {
		v = "(unknown version)"
	}
	var commit []string
	if rev := settings["vcs.revision"]; rev != "" {
		commit = append(commit, "commit "+rev)
		if t := settings["vcs.time"]; t != "" {
			commit = append(commit, t)
		}
		if settings["vcs.modified"] == "true" {
			commit = append(commit, "modified")
		}
	} else {
		commit = append(commit, "no VCS commit recorded")
	}
	return fmt.Sprintf("mallbots %s (%s) %s", v, strings.Join(commit, ", "), bi.GoVersion)
}
