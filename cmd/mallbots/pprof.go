package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
)

// servePprof serves Go's profiles (/debug/pprof/) on the address in
// MALLBOTS_PPROF_ADDR, when it is set, for any command: a heap or CPU
// profile of a running instance without rebuilding it. Not on the API's
// address, so that it is never exposed by accident; keep it on loopback.
func servePprof(log *slog.Logger) {
	addr := os.Getenv("MALLBOTS_PPROF_ADDR")
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		log.Info("serving Go profiles", "addr", addr, "path", "/debug/pprof/")
		if err := http.ListenAndServe(addr, mux); err != nil {
			log.Warn("cannot serve Go profiles (MALLBOTS_PPROF_ADDR)", "addr", addr, "err", err)
		}
	}()
}
