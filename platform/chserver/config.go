package chserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// ErrNotInstalled is returned by Start when no clickhouse-server binary can be
// found. Test for it with errors.Is.
var ErrNotInstalled = errors.New("clickhouse-server is not installed: install it with " +
	"`sudo apt-get install clickhouse-server clickhouse-client`, or point WithBinary at an installed server")

// The users of the generated users.xml. All of them may connect from the
// loopback addresses only.
const (
	// DefaultUser has no password and full rights; migrations and
	// administration use it. Anyone who can open a loopback connection on
	// this machine can therefore administer the server: run the embedded
	// server only on machines whose local users are trusted.
	DefaultUser = "default"
	// WriterUser is the projectors' user: it may read, insert and run DDL,
	// in the database of WithDatabase only.
	WriterUser = "mallbots_writer"
	// AnalystUser is read-only (readonly=2: SELECT and per-query settings,
	// no INSERT, ALTER, DROP or CREATE), in the database of WithDatabase only, with the
	// limits and quota of users.xml.
	AnalystUser = "mallbots_analyst"
)

// The defaults of WithDatabase and WithStartTimeout.
const (
	DefaultDatabase     = "mallbots"
	DefaultStartTimeout = 60 * time.Second
)

// defaultBinaries are tried in order without WithBinary. The last one
// is the single multi-tool binary of the official packages, which needs the
// "server" argument.
var defaultBinaries = []string{"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse"}

// Option configures a server (Start).
type Option func(*config)

type config struct {
	dir                             string // Start's argument
	tcpAddr                         string
	explicitBinary                  string // WithBinary; "" for the default search
	writerPassword, analystPassword string
	database                        string
	startTimeout                    time.Duration
	log                             *slog.Logger
}

// WithTCPAddr sets the native-protocol listen address. Its host must be a
// loopback address (or "localhost", meaning 127.0.0.1): this server is
// never exposed to the network. Default: a free port on 127.0.0.1, as for
// an empty address or port 0.
func WithTCPAddr(addr string) Option { return func(c *config) { c.tcpAddr = addr } }

// WithBinary sets the server executable. Default: "clickhouse-server"
// looked up in PATH, then /usr/sbin/clickhouse-server, then
// /usr/bin/clickhouse.
func WithBinary(path string) Option { return func(c *config) { c.explicitBinary = path } }

// WithWriterPassword and WithAnalystPassword set the passwords of
// WriterUser and AnalystUser, stored as SHA-256 hashes. Default none, which
// is acceptable only because the server listens on loopback; set them
// whenever other local users share the machine.
func WithWriterPassword(pw string) Option { return func(c *config) { c.writerPassword = pw } }

// WithAnalystPassword: see WithWriterPassword.
func WithAnalystPassword(pw string) Option { return func(c *config) { c.analystPassword = pw } }

// WithDatabase names the only database (besides system) that WriterUser and
// AnalystUser may use. Default DefaultDatabase ("mallbots").
func WithDatabase(name string) Option { return func(c *config) { c.database = name } }

// WithStartTimeout bounds the wait for the first successful ping. Default
// DefaultStartTimeout (60s).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// WithLogger sets the logger of lifecycle messages. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// resolved is a validated config with every default filled in.
type resolved struct {
	config
	binary     string
	binaryArgs []string // arguments placed before --config-file
	host, port string
}

// resolve applies opts over the defaults for a server on dir and validates
// the result, reporting every problem at once.
func resolve(dir string, opts []Option) (resolved, error) {
	c := config{dir: dir, database: DefaultDatabase, startTimeout: DefaultStartTimeout, log: slog.Default()}
	for _, o := range opts {
		o(&c)
	}
	r := resolved{config: c}
	var errs []error
	if c.dir == "" {
		errs = append(errs, errors.New("chserver: the data directory is empty"))
	} else if abs, err := filepath.Abs(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("chserver: resolve the data directory %q: %w", c.dir, err))
	} else {
		r.dir = abs
	}
	host, port, err := splitLoopback(c.tcpAddr)
	if err != nil {
		errs = append(errs, err)
	}
	r.host, r.port = host, port
	if c.database == "" {
		errs = append(errs, errors.New("chserver: WithDatabase(\"\"): name a database"))
	}
	if c.startTimeout <= 0 {
		errs = append(errs, fmt.Errorf("chserver: WithStartTimeout(%s): want a positive duration", c.startTimeout))
	}
	if c.log == nil {
		errs = append(errs, errors.New("chserver: WithLogger(nil): give a logger"))
	}
	if err := errors.Join(errs...); err != nil {
		return r, err
	}
	r.binary, r.binaryArgs, err = findBinary(c.explicitBinary)
	return r, err
}

// FindBinary returns the path of the server executable that Start would run
// with WithBinary(binary) ("" for the default search), or an error wrapping
// ErrNotInstalled.
func FindBinary(binary string) (string, error) {
	path, _, err := findBinary(binary)
	return path, err
}

// splitLoopback validates addr and returns its host and port; port "0" is
// left for Start to replace with a free one.
func splitLoopback(addr string) (host, port string, err error) {
	if addr == "" {
		return "127.0.0.1", "0", nil
	}
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("chserver: WithTCPAddr(%q): %w (want host:port, e.g. 127.0.0.1:9000)", addr, err)
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", "", fmt.Errorf("chserver: WithTCPAddr(%q): host must be a loopback address such as 127.0.0.1; "+
			"for a network-facing ClickHouse run a server of your own and connect to it", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", "", fmt.Errorf("chserver: WithTCPAddr(%q): port must be a number from 0 to 65535", addr)
	}
	return host, port, nil
}

// findBinary returns the executable to run and the arguments it needs before
// the config flag.
func findBinary(explicit string) (string, []string, error) {
	candidates := defaultBinaries
	if explicit != "" {
		candidates = []string{explicit}
	}
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if filepath.Base(path) == "clickhouse" {
			return path, []string{"server"}, nil
		}
		return path, nil, nil
	}
	return "", nil, fmt.Errorf("%w (looked for %q)", ErrNotInstalled, candidates)
}
