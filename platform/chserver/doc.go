// Package chserver runs a ClickHouse server as a managed child process: the
// embedded default of MallBots, where the machine's installed
// clickhouse-server binary (Debian's 18.16 or any newer release) serves the
// warehouse on a loopback port with every file under one data directory.
//
// It consumes a data directory and options (loopback address, user passwords)
// and produces a running server reachable over the native protocol, with a
// generated config.xml and users.xml under the data directory and three
// users: DefaultUser (admin and migrations), WriterUser (the projectors) and
// AnalystUser (read-only SQL). The child dies with this process, even when
// this process is killed with SIGKILL, and a server can be started again on
// the same directory after any kind of stop.
//
// Subpackage chtest starts one per test.
package chserver
