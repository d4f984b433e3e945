package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"riskgraph/internal/store/neo4jstore/neo4jtest"
)

// neo4j is a real Neo4j 5.26 started as the tests start it (tools/neo4j-testserver, a
// child JVM), on a fresh data directory, that the fault can stop and restart.
type neo4j struct {
	srv      *neo4jtest.Server
	log      *os.File
	workDirs []string // the JVM's own temporary directories left behind by a kill
}

// startNeo4j builds the test server module if needed (Maven; the first build downloads
// from Maven Central) and starts Neo4j, its output in logPath.
func startNeo4j(ctx context.Context, logPath string) (*neo4j, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("neo4j log: %w", err)
	}
	srv, err := neo4jtest.Start(ctx, neo4jtest.Options{Log: f})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("start neo4j: %w", err)
	}
	return &neo4j{srv: srv, log: f}, nil
}

// URI is Neo4j's Bolt address.
func (n *neo4j) URI() string { return n.srv.URI() }

// down stops Neo4j, keeping its data. "stop" shuts it down cleanly; "kill" sends SIGKILL
// to the JVM first (a crash: Neo4j recovers from its transaction log at restart).
func (n *neo4j) down(mode string) error {
	if mode == "kill" {
		pid, err := n.jvmPID()
		if err != nil {
			return fmt.Errorf("kill neo4j: %w", err)
		}
		n.workDirs = append(n.workDirs, jvmWorkDirs(pid, n.srv.DataDir())...)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return fmt.Errorf("kill neo4j (pid %d): %w", pid, err)
		}
	}
	// After a kill this only reaps the process.
	if err := n.srv.StopProcess(); err != nil {
		return fmt.Errorf("stop neo4j: %w", err)
	}
	return nil
}

// up starts Neo4j again on the same port and data.
func (n *neo4j) up(ctx context.Context) error {
	if err := n.srv.Restart(ctx); err != nil {
		return fmt.Errorf("restart neo4j: %w", err)
	}
	return nil
}

// close stops Neo4j for good and removes its data and what a kill left behind.
func (n *neo4j) close() error {
	err := n.srv.Stop()
	for _, d := range n.workDirs {
		if rerr := os.RemoveAll(d); rerr != nil && err == nil {
			err = fmt.Errorf("remove %s: %w", d, rerr)
		}
	}
	n.log.Close()
	return err
}

// jvmPID finds the test server's JVM among this process's children, by its main class and
// data directory.
func (n *neo4j) jvmPID() (int, error) {
	tasks, err := filepath.Glob("/proc/self/task/*/children")
	if err != nil || len(tasks) == 0 {
		return 0, errors.New("no /proc/self/task/*/children: killing needs Linux")
	}
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if err != nil {
				continue
			}
			args := bytes.Split(cl, []byte{0})
			main, data := false, false
			for _, a := range args {
				main = main || string(a) == "riskgraph.testserver.Main"
				data = data || string(a) == n.srv.DataDir()
			}
			if main && data {
				return pid, nil
			}
		}
	}
	return 0, errors.New("the Neo4j JVM is not among this process's children")
}

// javaWorkDir matches the temporary directory the test server's Main makes for itself
// (Files.createTempDirectory("riskgraph-neo4j-"), in java.io.tmpdir, /tmp by default).
var javaWorkDir = regexp.MustCompile(`^(/tmp/riskgraph-neo4j-[0-9]+)/`)

// jvmWorkDirs lists the JVM's own temporary directories from its open files: a clean stop
// removes them, a kill leaves them behind.
func jvmWorkDirs(pid int, dataDir string) []string {
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	seen := map[string]bool{}
	var dirs []string
	for _, fd := range fds {
		target, err := os.Readlink(fd)
		if err != nil {
			continue
		}
		m := javaWorkDir.FindStringSubmatch(target)
		if m == nil || seen[m[1]] || strings.HasPrefix(dataDir, m[1]) {
			continue
		}
		seen[m[1]] = true
		dirs = append(dirs, m[1])
	}
	return dirs
}

// faultPlan says when the fault happens.
type faultPlan struct {
	mode          string        // "stop", "kill" or "none"
	at            time.Duration // from the start of the load
	down          time.Duration // how long Neo4j stays down
	recoverWithin time.Duration // from Neo4j being up again to reads succeeding
}

// faultTimes is what happened, in offsets from the start of the load (zero when it did not
// happen).
type faultTimes struct {
	stopAt      time.Duration // the fault began
	stoppedAt   time.Duration // the JVM had exited
	restartAt   time.Duration // the restart began
	upAt        time.Duration // Bolt accepted connections again
	firstDown   time.Duration // the probe's first UNAVAILABLE
	recoveredAt time.Duration // the first of probeStreak successful probe reads after the restart
	confirmedAt time.Duration // the last of them
	readyDown   time.Duration // /readyz first 503
	readyUp     time.Duration // /readyz 200 again
	err         error         // the fault or the recovery failed
}
