// Package chaos runs MallBots under faults and checks that nothing
// acknowledged was lost and nothing was doubled: `mallbots chaos` and the
// fault tests (go test ./tools/chaos -chaos) drive the same scenarios.
//
// A scenario starts `mallbots run` processes on loopback ports (the binary
// runs itself), keeps a ledger of every command the API acknowledged while
// it injects its faults, and ends with a Report: the ledger against the
// event log, the event log against itself (versions 1..n, each once), the
// API's state against the log, and ClickHouse against the log.
package chaos

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mallbots/mallbots/app/auth"
)

// Proc is one `mallbots run` process.
type Proc struct {
	Name    string
	Binary  string
	DataDir string
	HTTP    string // host:port of its API
	Kafka   string // embedded broker address (when it runs one)
	Reg     string // embedded registry address
	CH      string // managed ClickHouse address
	Args    []string
	// Token is an operator's bearer token for its API: every process of
	// a scenario shares one signing key (--auth-signing-key), so it opens
	// every process's API.
	Token   string
	keyFile string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the current process has exited
	logPath string
	starts  int
}

// FreeAddr returns a free loopback address.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// NewProc prepares a process with its own data dir and free ports.
func NewProc(name, binary, root string, args ...string) (*Proc, error) {
	p := &Proc{Name: name, Binary: binary, DataDir: filepath.Join(root, name), Args: args, keyFile: filepath.Join(root, "api-signing-key.pem")}
	for _, a := range []*string{&p.HTTP, &p.Kafka, &p.Reg, &p.CH} {
		addr, err := FreeAddr()
		if err != nil {
			return nil, err
		}
		*a = addr
	}
	brokerCreds.Store(p.Kafka, p.credentialsDir())
	key, err := auth.LoadOrCreateKey(p.keyFile)
	if err != nil {
		return nil, err
	}
	if p.Token, err = auth.NewIssuer(key).Issue(auth.Principal{Role: auth.Operator, Subject: "chaos"}, 24*time.Hour); err != nil {
		return nil, err
	}
	return p, os.MkdirAll(p.DataDir, 0o755)
}

// authorize adds the process's token to a request to its API.
func authorize(req *http.Request, token string) {
	req.Header.Set("Authorization", "Bearer "+token)
}

// Start runs the process and waits until /readyz answers 200.
func (p *Proc) Start(ctx context.Context, within time.Duration) error {
	p.starts++
	p.logPath = filepath.Join(p.DataDir, fmt.Sprintf("run-%02d.log", p.starts))
	logf, err := os.Create(p.logPath)
	if err != nil {
		return err
	}
	args := append([]string{"--log-level", "info", "run", "--data-dir", p.DataDir, "--http-addr", p.HTTP,
		"--kafka-addr", p.Kafka, "--registry-addr", p.Reg, "--clickhouse-tcp-addr", p.CH, "--auth-signing-key", p.keyFile}, p.Args...)
	p.cmd = exec.Command(p.Binary, args...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	p.done = done
	go func() { _ = p.cmd.Wait(); logf.Close(); close(done) }()
	deadline := time.Now().Add(within)
	for {
		if resp, err := http.Get("http://" + p.HTTP + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !p.running() {
			return fmt.Errorf("%s exited before it was ready; see %s:\n%s", p.Name, p.logPath, p.Tail(20))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within %s; see %s:\n%s", p.Name, within, p.logPath, p.Tail(20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Kill9 kills the process with SIGKILL (its ClickHouse child dies with it).
func (p *Proc) Kill9() error {
	if !p.running() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	return p.waitExit(30 * time.Second)
}

// Stop sends SIGTERM and waits for a clean exit.
func (p *Proc) Stop() error {
	if !p.running() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	return p.waitExit(60 * time.Second)
}

func (p *Proc) waitExit(within time.Duration) error {
	select {
	case <-p.done:
		return nil
	case <-time.After(within):
		return fmt.Errorf("%s did not exit within %s", p.Name, within)
	}
}

func (p *Proc) running() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// PID is the process id, 0 when not running.
func (p *Proc) PID() int {
	if !p.running() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Tail returns the last n lines of the current log.
func (p *Proc) Tail(n int) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// API is the base URL of the process's HTTP API.
func (p *Proc) API() string { return "http://" + p.HTTP }
