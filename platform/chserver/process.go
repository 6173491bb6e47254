package chserver

import (
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
)

// spawn starts cmd so that the child is killed when this process dies, and
// returns a channel that receives the child's exit (cmd.Wait's result).
//
// Pdeathsig is delivered when the *thread* that forked the child exits, not
// when the process does. The Go runtime may retire an idle thread at any
// time (it does so when a goroutine that locked its thread exits without
// unlocking), which would kill a healthy server. So the fork happens on a
// goroutine that locks its OS thread and stays on it, blocked in Wait, for
// as long as the child lives; the thread therefore outlives the child unless
// the whole process dies, which is exactly when the child should die. The
// goroutine never unlocks: when it returns after Wait, the runtime discards
// the thread, which by then matters to no one.
//
// SIGKILL rather than SIGTERM: with the parent gone nobody would escalate a
// shutdown that hangs, and a lingering server would hold the data
// directory's lock and make the next start fail. MergeTree parts are written
// atomically, so a killed server restarts cleanly (the stale status file
// only triggers an "unclean restart" notice). Go's fork path re-checks the
// parent after setting the signal, closing the race where the parent dies
// between fork and prctl.
//
// Setpgid puts the child in its own process group, so a terminal's Ctrl-C
// reaches only this process, which can then flush its projections before
// stopping the server, and Stop can signal the server's whole group.
func spawn(cmd *exec.Cmd) (<-chan error, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL

	started := make(chan error, 1)
	exited := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("chserver: start %s: %w", cmd.Path, err)
			return
		}
		started <- nil
		exited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return exited, nil
}

// signalGroup sends sig to the child's process group (its pid, by Setpgid).
func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if err == syscall.ESRCH {
		return nil
	}
	return err
}
