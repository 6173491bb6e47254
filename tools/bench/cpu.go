package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuUse is the CPU time used by this process (the system under test, its
// embedded broker and the load generator) and by its child processes (the
// managed ClickHouse server), sampled together so that a stage's CPU per
// command can be read as the difference of two samples.
type cpuUse struct{ self, children time.Duration }

func cpuNow() cpuUse {
	u := cpuUse{self: processCPU()}
	for _, pid := range children(os.Getpid()) {
		u.children += procCPU(pid)
	}
	return u
}

// procCPU is a process's user and system time from /proc/<pid>/stat
// (fields 14 and 15, in clock ticks of 1/100 s on Linux); zero when it is
// gone.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:])) // from field 3
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// perCommand is the CPU time per command between two samples, in µs: the
// process's and ClickHouse's.
func perCommand(from, to cpuUse, commands int64) (self, clickhouse float64) {
	if commands <= 0 {
		return 0, 0
	}
	n := float64(commands)
	return float64((to.self - from.self).Microseconds()) / n, float64((to.children - from.children).Microseconds()) / n
}
