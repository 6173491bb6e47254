package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Machine describes where a run happened, for docs/benchmarks.md.
type Machine struct {
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpuModel"`
	MemoryMiB  int64  `json:"memoryMiB"`
	GoVersion  string `json:"goVersion"`
	OS         string `json:"os"`
	ClickHouse string `json:"clickhouse"`
	Load       string `json:"loadAverageAtStart"`
}

func (m Machine) String() string {
	return fmt.Sprintf("%d CPUs (%s), %d MiB RAM, %s %s, ClickHouse %s, load average at start %s",
		m.CPUs, m.CPUModel, m.MemoryMiB, m.GoVersion, m.OS, m.ClickHouse, m.Load)
}

func describeMachine(ctx context.Context, ch driver.Conn) Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if out, err := exec.Command("nproc").Output(); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil {
			m.CPUs = n
		}
	}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		n, _ := strconv.ParseInt(strings.Fields(kb)[0], 10, 64)
		m.MemoryMiB = n / 1024
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	if ch != nil {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var v string
		if err := ch.QueryRow(qctx, "SELECT version()").Scan(&v); err == nil {
			m.ClickHouse = v
		}
	}
	return m
}

// procField returns the value of the first "name: value" line of a /proc file.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// rss reads a process's resident set (VmRSS) and its peak (VmHWM) in MiB.
func rss(pid int) (cur, peak float64, err error) {
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	read := func(name string) (float64, error) {
		v := procField(path, name)
		if v == "" {
			return 0, fmt.Errorf("no %s in %s", name, path)
		}
		kb, err := strconv.ParseFloat(strings.Fields(v)[0], 64)
		return kb / 1024, err
	}
	if cur, err = read("VmRSS"); err != nil {
		return 0, 0, err
	}
	peak, err = read("VmHWM")
	return cur, peak, err
}
