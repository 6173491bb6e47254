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
	"`sudo apt-get install clickhouse-server clickhouse-client`, or point Config.Binary at an installed server")

// The users of the generated users.xml. All of them may connect from the
// loopback addresses only.
const (
	// DefaultUser has no password and full rights; migrations and
	// administration use it. Anyone who can open a loopback connection on
	// this machine can therefore administer the server: run the embedded
	// server only on machines whose local users are trusted.
	DefaultUser = "default"
	// WriterUser is the projectors' user: it may read, insert and run DDL,
	// in Config.Database only.
	WriterUser = "mallbots_writer"
	// AnalystUser is read-only (readonly=2: SELECT and per-query settings,
	// no INSERT, ALTER, DROP or CREATE), in Config.Database only, with the
	// limits and quota of users.xml.
	AnalystUser = "mallbots_analyst"
)

// Defaults of Config.
const (
	DefaultDatabase     = "mallbots"
	DefaultStartTimeout = 60 * time.Second
)

// defaultBinaries are tried in order when Config.Binary is empty. The last one
// is the single multi-tool binary of the official packages, which needs the
// "server" argument.
var defaultBinaries = []string{"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse"}

// Config says where and how to run the server.
type Config struct {
	// Dir is the data root: config.xml, users.xml, data/, tmp/, log/ and the
	// other server directories live under it. Created if missing. Reusing a
	// directory keeps the data; the config files are rewritten at each start.
	Dir string
	// TCPAddr is the native-protocol listen address. Its host must be a
	// loopback address (or "localhost", meaning 127.0.0.1): this server is
	// never exposed to the network. An empty address or port 0 picks a free
	// port on 127.0.0.1.
	TCPAddr string
	// Binary is the server executable. Default: "clickhouse-server" looked up
	// in PATH, then /usr/sbin/clickhouse-server, then /usr/bin/clickhouse.
	Binary string
	// WriterPassword and AnalystPassword are the passwords of WriterUser and
	// AnalystUser. Empty means that user has no password, which is acceptable
	// only because the server listens on loopback; set them whenever other
	// local users share the machine. They are stored as SHA-256 hashes.
	WriterPassword, AnalystPassword string
	// Database is the only database (besides system) that WriterUser and
	// AnalystUser may use. Default DefaultDatabase ("mallbots").
	Database string
	// StartTimeout bounds the wait for the first successful ping. Default
	// DefaultStartTimeout (60s).
	StartTimeout time.Duration
	// Log receives lifecycle messages. Default: slog.Default().
	Log *slog.Logger
}

// resolved is a validated Config with every default filled in.
type resolved struct {
	Config
	binary     string
	binaryArgs []string // arguments placed before --config-file
	host, port string
}

func (c Config) resolve() (resolved, error) {
	r := resolved{Config: c}
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("chserver: Config.Dir is empty: give the data directory"))
	} else if abs, err := filepath.Abs(c.Dir); err != nil {
		errs = append(errs, fmt.Errorf("chserver: resolve Config.Dir %q: %w", c.Dir, err))
	} else {
		r.Dir = abs
	}
	host, port, err := splitLoopback(c.TCPAddr)
	if err != nil {
		errs = append(errs, err)
	}
	r.host, r.port = host, port
	if r.Database == "" {
		r.Database = DefaultDatabase
	}
	if r.StartTimeout <= 0 {
		r.StartTimeout = DefaultStartTimeout
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	if err := errors.Join(errs...); err != nil {
		return r, err
	}
	r.binary, r.binaryArgs, err = findBinary(c.Binary)
	return r, err
}

// FindBinary returns the path of the server executable that Start would run
// for Config.Binary = binary ("" for the default search), or an error
// wrapping ErrNotInstalled.
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
		return "", "", fmt.Errorf("chserver: Config.TCPAddr %q: %w (want host:port, e.g. 127.0.0.1:9000)", addr, err)
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", "", fmt.Errorf("chserver: Config.TCPAddr %q: host must be a loopback address such as 127.0.0.1; "+
			"for a network-facing ClickHouse run a server of your own and connect to it", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", "", fmt.Errorf("chserver: Config.TCPAddr %q: port must be a number from 0 to 65535", addr)
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
