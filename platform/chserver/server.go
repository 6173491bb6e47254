package chserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Server is a running clickhouse-server child process.
type Server struct {
	cfg    resolved
	files  layout
	addr   string
	pid    int
	log    *slog.Logger
	exited <-chan error
	done   chan struct{}
	// Sizes of the error log and stderr file at start: where this run's
	// lines begin in a reused directory.
	logFrom, stderrFrom int64

	stopping atomic.Bool
	mu       sync.Mutex
	err      error
}

// Start writes config.xml and users.xml under dir, the data root (data/,
// tmp/, log/ and the other server directories live under it; created if
// missing; reusing a directory keeps the data, the config files are
// rewritten at each start), starts the server and returns once it answers a
// native-protocol ping, or fails after WithStartTimeout (default 60s), when
// ctx is done, or as soon as the child exits. A failure's error carries the tail of the server's error log. When
// no binary is found the error wraps ErrNotInstalled. ctx bounds only the
// start: the server then runs until Stop, or until this process exits.
func Start(ctx context.Context, dir string, opts ...Option) (*Server, error) {
	r, err := resolve(dir, opts)
	if err != nil {
		return nil, err
	}
	if r.port == "0" {
		if r.port, err = freePort(r.host); err != nil {
			return nil, err
		}
	}
	s := &Server{cfg: r, files: newLayout(r.dir), addr: net.JoinHostPort(r.host, r.port), done: make(chan struct{})}
	s.log = r.log.With("component", "clickhouse-server", "addr", s.addr, "dir", r.dir)
	// The child would only say so deep in its error log, after a timeout:
	// try the address first.
	if err := canListen(s.addr); err != nil {
		return nil, err
	}
	if err := writeFiles(r, s.files); err != nil {
		return nil, err
	}
	if err := s.spawn(); err != nil {
		return nil, err
	}
	began := time.Now()
	if err := s.waitReady(ctx); err != nil {
		s.kill()
		if s.addressInUse() {
			return nil, &BindError{Addr: s.addr, Err: syscall.EADDRINUSE}
		}
		return nil, err
	}
	s.log.Info("clickhouse-server ready", "pid", s.pid, "took", time.Since(began).Round(time.Millisecond))
	return s, nil
}

func (s *Server) spawn() error {
	stderr, err := os.OpenFile(s.files.Stderr, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("chserver: open %s: %w", s.files.Stderr, err)
	}
	defer stderr.Close() // the child holds its own descriptor
	s.logFrom, s.stderrFrom = fileSize(s.files.ErrorLog), fileSize(s.files.Stderr)

	args := append(append([]string{}, s.cfg.binaryArgs...), "--config-file="+s.files.ConfigFile)
	cmd := exec.Command(s.cfg.binary, args...)
	cmd.Dir = s.files.Dir
	cmd.Stdout, cmd.Stderr = stderr, stderr
	exited, err := spawn(cmd)
	if err != nil {
		return err
	}
	s.pid, s.exited = cmd.Process.Pid, exited
	go s.watch()
	return nil
}

// watch records how the child ended and closes Done.
func (s *Server) watch() {
	werr := <-s.exited
	if !s.stopping.Load() {
		err := fmt.Errorf("chserver: clickhouse-server (pid %d) exited unexpectedly (%v)%s",
			s.pid, exitText(werr), s.diagnostics())
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		s.log.Error("clickhouse-server exited unexpectedly", "pid", s.pid, "err", err)
	}
	close(s.done)
}

// waitReady pings until the server answers, the child exits, or time is up.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.startTimeout)
	defer cancel()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:         []string{s.addr},
		Auth:         clickhouse.Auth{Username: DefaultUser},
		DialTimeout:  time.Second,
		MaxOpenConns: 1,
	})
	if err != nil {
		return fmt.Errorf("chserver: client for %s: %w", s.addr, err)
	}
	defer conn.Close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		lastErr = conn.Ping(pctx)
		pcancel()
		if lastErr == nil {
			return nil
		}
		select {
		case <-s.done:
			return s.Err()
		case <-ctx.Done():
			return fmt.Errorf("chserver: clickhouse-server at %s not ready after %s (last ping: %v)%s",
				s.addr, s.cfg.startTimeout, lastErr, s.diagnostics())
		case <-tick.C:
		}
	}
}

// Addr returns the native-protocol address, host:port.
func (s *Server) Addr() string { return s.addr }

// Dir returns the absolute data root.
func (s *Server) Dir() string { return s.files.Dir }

// PID returns the child's process id.
func (s *Server) PID() int { return s.pid }

// Done is closed when the child has exited, whether by Stop or not.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err returns why the child exited when it did so unexpectedly (crashed or
// killed by someone else), with the tail of its error log; nil while it runs
// or after Stop.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Options returns client options for user on this server, with the password
// given to Start. Database is left empty: the server's default applies.
func (s *Server) Options(user string) *clickhouse.Options {
	pw := ""
	switch user {
	case WriterUser:
		pw = s.cfg.writerPassword
	case AnalystUser:
		pw = s.cfg.analystPassword
	}
	return &clickhouse.Options{
		Addr:        []string{s.addr},
		Auth:        clickhouse.Auth{Username: user, Password: pw},
		DialTimeout: 5 * time.Second,
	}
}

// Stop asks the server to shut down (SIGTERM) and waits for it to exit; when
// ctx ends first it kills it (SIGKILL) and reports that. Give ctx a
// deadline: ClickHouse finishes running queries before it exits. Stop on a
// server that has already exited returns nil (see Err for why it exited).
func (s *Server) Stop(ctx context.Context) error {
	select {
	case <-s.done:
		return nil
	default:
	}
	s.stopping.Store(true)
	if err := signalGroup(s.pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("chserver: signal clickhouse-server (pid %d): %w", s.pid, err)
	}
	select {
	case <-s.done:
		s.log.Info("clickhouse-server stopped", "pid", s.pid)
		return nil
	case <-ctx.Done():
		s.kill()
		return fmt.Errorf("chserver: clickhouse-server (pid %d) did not stop in time (%w); killed it with SIGKILL", s.pid, ctx.Err())
	}
}

// kill ends the child at once and waits for it.
func (s *Server) kill() {
	s.stopping.Store(true)
	_ = signalGroup(s.pid, syscall.SIGKILL)
	<-s.done
}

// diagnostics is the part of an error message that shows what the server
// said: recent error-log and stderr lines, and where to read the rest.
func (s *Server) diagnostics() string {
	var b strings.Builder
	if lines := tailLines(s.files.ErrorLog, s.logFrom, 12); len(lines) > 0 {
		b.WriteString("\nlast lines of " + s.files.ErrorLog + ":\n  " + strings.Join(lines, "\n  "))
	}
	if lines := tailLines(s.files.Stderr, s.stderrFrom, 6); len(lines) > 0 {
		b.WriteString("\nlast lines of " + s.files.Stderr + ":\n  " + strings.Join(lines, "\n  "))
	}
	b.WriteString("\nfull logs are in " + s.files.Log)
	return b.String()
}

func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// freePort asks the kernel for an unused port on host. Another process can
// take it before the server binds it; the server then fails with "Address
// already in use" in its error log and the caller may retry.
func freePort(host string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("chserver: find a free port on %s: %w", host, err)
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// BindError says the server's address cannot be listened on (taken by
// another process, or not this machine's).
type BindError struct {
	Addr string
	Err  error
}

func (e *BindError) Error() string {
	return fmt.Sprintf("chserver: cannot listen on %s: %v", e.Addr, e.Err)
}

func (e *BindError) Unwrap() error { return e.Err }

// canListen binds addr and lets it go again.
func canListen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var sys *os.SyscallError
		if errors.As(err, &sys) {
			err = sys.Err
		}
		return &BindError{Addr: addr, Err: err}
	}
	return ln.Close()
}

// addressInUse says whether the child's logs of this start report that its
// port was taken (by another process between canListen and its bind).
func (s *Server) addressInUse() bool {
	for _, f := range []struct {
		path string
		from int64
	}{{s.files.ErrorLog, s.logFrom}, {s.files.Stderr, s.stderrFrom}} {
		for _, line := range tailLines(f.path, f.from, 50) {
			if strings.Contains(line, "Address already in use") {
				return true
			}
		}
	}
	return false
}
