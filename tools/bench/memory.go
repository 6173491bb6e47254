package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// memory stops the in-process stack and runs `mallbots run` (every
// component, the embedded setup) as a child process on the run's data: a
// cold start (no local stores: every processor, lookup and view rebuilds
// its tables from the topics), then, after a clean stop, a warm one, which
// is killed with SIGKILL, then a start after that crash (the processors'
// own tables rebuilt, the other stores kept: docs/adr/0005). It reports
// the time to GET /readyz 200 and the child's resident set once ready: the
// embedded setup's memory for the aggregates the run created.
func (e *env) memory(ctx context.Context) error {
	if e.cfg.Exe == "" {
		e.report.Warnings = append(e.report.Warnings, "the memory and whole-system restart figures need the mallbots binary (Config.Exe); skipped")
		return nil
	}
	if e.agg != nil {
		if err := shutdown(e.agg); err != nil {
			return err
		}
		e.agg = nil
	}
	e.kafka.close()
	e.kafka = nil
	_ = e.ch.Close()
	e.ch = nil
	if err := shutdown(e.stack); err != nil {
		return fmt.Errorf("stop the embedded stack: %w", err)
	}
	e.stack = nil
	dataDir := filepath.Join(e.dir, "stack")

	cold, err := e.runChild(ctx, dataDir, "cold", false)
	if err != nil {
		return err
	}
	warm, err := e.runChild(ctx, dataDir, "warm", true)
	if err != nil {
		return err
	}
	crashed, err := e.runChild(ctx, dataDir, "after-crash", false)
	if err != nil {
		return err
	}
	keys := e.keysInTable
	coldFig := Figure{Name: "run.ready.cold", What: "mallbots run (every component) ready after a cold start: every local store rebuilt from the topics",
		Value: cold.ready.Seconds(), Unit: "s", Target: "≤ 30 s at 1,000,000 customers (issue 27)", Note: fmt.Sprintf("%s customers; starts ClickHouse too", thousands(float64(keys)))}
	warmFig := Figure{Name: "run.ready.warm", What: "mallbots run (every component) ready after a clean stop: local stores intact",
		Value: warm.ready.Seconds(), Unit: "s", Target: "≤ 5 s at 1,000,000 customers (issue 27)", Note: "includes starting the ClickHouse server"}
	if keys >= 1_000_000 {
		coldFig.Met, warmFig.Met = ptr(cold.ready <= 30*time.Second), ptr(warm.ready <= 5*time.Second)
	}
	e.report.add(coldFig)
	e.report.add(warmFig)
	e.report.add(Figure{Name: "run.ready.crash", What: "mallbots run (every component) ready after kill -9: the processors' own tables rebuilt, the copies of other tables and the views kept",
		Value: crashed.ready.Seconds(), Unit: "s", Note: "includes starting the ClickHouse server; docs/adr/0005"})
	// The target holds only if the resident set stays under it while
	// starting too: the peaks of every start count, not only the warm
	// resident set once ready.
	f := Figure{Name: "memory.rss", What: "resident set of mallbots run (embedded broker, registry, every component) holding the aggregates, once ready",
		Value: warm.rss, Unit: "MiB", Target: "< 1 GiB for 1,000,000 aggregates, starting included",
		Note: fmt.Sprintf("%s aggregates; peak %.0f MiB during the cold start, %.0f MiB during the warm one, %.0f MiB during the one after kill -9; ClickHouse server (a separate process) %.0f MiB",
			thousands(float64(keys)), cold.peak, warm.peak, crashed.peak, warm.chRSS)}
	if keys >= 1_000_000 {
		f.Met = ptr(max(warm.rss, cold.peak, warm.peak, crashed.peak) < 1024)
	} else {
		f.Note += "; the target applies at 1,000,000 (--keys 1000000)"
	}
	e.report.add(f)
	return nil
}

type childRun struct {
	ready            time.Duration
	rss, peak, chRSS float64
}

// runChild starts `mallbots run` on dataDir, measures it once ready and
// stops it: with SIGTERM, or with SIGKILL when kill is set.
func (e *env) runChild(ctx context.Context, dataDir, name string, kill bool) (childRun, error) {
	cmd := exec.CommandContext(ctx, e.cfg.Exe, "--log-format", "json", "run", "--data-dir", dataDir,
		"--http-addr", "127.0.0.1:0", "--kafka-addr", "127.0.0.1:0", "--registry-addr", "127.0.0.1:0",
		"--clickhouse-tcp-addr", "127.0.0.1:0", "--bots", "0")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return childRun{}, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return childRun{}, fmt.Errorf("start %s run: %w", e.cfg.Exe, err)
	}
	exited := make(chan error, 1)
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "HTTP listening" {
				select {
				case addrc <- line.Addr:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		exited <- cmd.Wait()
	}()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(2 * time.Minute):
			_ = cmd.Process.Kill()
			return errors.New("did not stop within 2 minutes of SIGTERM")
		}
	}
	var addr string
	select {
	case addr = <-addrc:
	case err := <-exited:
		return childRun{}, fmt.Errorf("mallbots run (%s) exited before listening: %v", name, err)
	case <-time.After(10 * time.Minute):
		_ = stop()
		return childRun{}, fmt.Errorf("mallbots run (%s) did not listen within 10 minutes", name)
	}
	var out childRun
	lastPrint := time.Now()
	for {
		if readyz(addr) {
			out.ready = time.Since(t0)
			break
		}
		if time.Since(lastPrint) >= time.Second {
			lastPrint = time.Now()
			e.out.line("  [mallbots run, %s start] %.0fs: not ready yet", name, time.Since(t0).Seconds())
		}
		select {
		case err := <-exited:
			return childRun{}, fmt.Errorf("mallbots run (%s) exited before ready: %v", name, err)
		case <-ctx.Done():
			_ = stop()
			return childRun{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	e.out.line("  mallbots run (%s start) ready in %s", name, out.ready.Round(time.Millisecond))
	time.Sleep(3 * time.Second) // let the first flushes and compactions settle
	pid := cmd.Process.Pid
	if out.rss, out.peak, err = rss(pid); err != nil {
		_ = stop()
		return childRun{}, err
	}
	for _, c := range children(pid) {
		if r, _, err := rss(c); err == nil {
			out.chRSS += r
		}
	}
	e.out.line("  resident set %.0f MiB (peak %.0f MiB), ClickHouse %.0f MiB", out.rss, out.peak, out.chRSS)
	if kill {
		return out, killed(cmd.Process, exited, children(pid))
	}
	if err := stop(); err != nil {
		return childRun{}, fmt.Errorf("mallbots run (%s) did not stop cleanly: %w", name, err)
	}
	return out, nil
}

// killed kills p with SIGKILL and waits for it and for its children (the
// ClickHouse server, which the kernel stops when its parent dies) to be
// gone, so that the next start finds their files free.
func killed(p *os.Process, exited <-chan error, kids []int) error {
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9 mallbots run: %w", err)
	}
	<-exited
	deadline := time.Now().Add(time.Minute)
	for _, k := range kids {
		for running(k) {
			if time.Now().After(deadline) {
				return fmt.Errorf("process %d, a child of the killed mallbots run, is still running after a minute", k)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// running tells whether process pid exists and is not a zombie (the
// killed parent's children are reaped by whoever adopts them, if anyone).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

func readyz(addr string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(strings.TrimSuffix(addr, "/") + "/readyz")
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// children lists a process's child processes (of every thread: ClickHouse
// is started from a locked OS thread).
func children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}
