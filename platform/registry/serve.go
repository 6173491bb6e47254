package registry

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Listen serves Handler on addr in the background until Close and returns the
// base URL to give schema registry clients ("http://127.0.0.1:8081"). addr's
// host must be a loopback address or "localhost" (meaning 127.0.0.1): the
// embedded registry is never exposed to the network. An empty addr or port 0
// picks a free port on 127.0.0.1. A Registry serves on one address only.
func (r *Registry) Listen(addr string) (string, error) {
	addr, err := loopback(addr)
	if err != nil {
		return "", err
	}
	r.srvMu.Lock()
	defer r.srvMu.Unlock()
	if r.srv != nil {
		return "", errors.New("registry: already listening")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("registry: listen on %s: %w", addr, err)
	}
	// ErrorLog is the registry's log at ERROR. Left nil, net/http writes
	// what it reports (a handler's panic, a failed accept) through the log
	// package, which a program that has called slog.SetDefault files at
	// INFO, where alerts on ERROR miss it.
	srv := &http.Server{
		Handler:           r.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(r.log.Handler(), slog.LevelError),
	}
	r.srv = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("schema registry server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	url := "http://" + ln.Addr().String()
	r.log.Info("schema registry listening", "url", url)
	return url, nil
}

// loopback checks that addr is a loopback host:port and fills in defaults.
func loopback(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("registry: listen address %q: %w", addr, err)
	}
	if host == "localhost" || host == "" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("registry: listen address %q is not a loopback address: the embedded registry serves this machine only", addr)
	}
	return net.JoinHostPort(host, port), nil
}
