// Package neo4jtest owns starting a real Neo4j 5.26 for Go tests: it builds the Maven module
// in tools/neo4j-testserver when needed, runs it as a child JVM, and stops it again.
//
// The JVM stops by itself when its standard input closes, so a test binary that is killed
// leaves no database behind. Set RISKGRAPH_TEST_NEO4J_URI to use a server that is already
// running instead. When a server cannot be had, tests skip loudly, except with CI=true or
// RISKGRAPH_TEST_NEO4J=required, where they fail.
package neo4jtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Environment variables read by this package.
const (
	// EnvURI names an existing Bolt server to test against instead of starting one.
	EnvURI = "RISKGRAPH_TEST_NEO4J_URI"
	// EnvMode set to "required" makes a server that cannot start fail the tests.
	EnvMode = "RISKGRAPH_TEST_NEO4J"
)

// Default time limits.
const (
	DefaultStartTimeout = 120 * time.Second // from launching the JVM to its BOLT line
	stopGrace           = 30 * time.Second  // from closing stdin to killing the JVM
)

// Options configure Start. The zero value picks a free port and a fresh data directory.
type Options struct {
	// Port is the Bolt port on 127.0.0.1; 0 picks a free one.
	Port int
	// DataDir holds the database files. "" makes a temporary directory that Stop removes.
	DataDir string
	// StartTimeout bounds the wait for the server to be ready; 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// ModuleDir is the tools/neo4j-testserver directory; "" finds it from the working directory.
	ModuleDir string
	// Log receives the JVM's standard error; nil keeps only its tail for error messages.
	Log io.Writer
}

// Server is a running test Neo4j.
type Server struct {
	opts    Options
	ownData bool // DataDir was made by Start and is removed by Stop

	mu      sync.Mutex
	uri     string
	port    int
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	exited  chan struct{} // closed when cmd has been waited for
	waitErr error
}

// Start builds the test server module if needed and starts a Neo4j, returning once Bolt
// accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.ModuleDir == "" {
		dir, err := FindModule()
		if err != nil {
			return nil, err
		}
		opts.ModuleDir = dir
	}
	if err := Build(ctx, opts.ModuleDir); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, port: opts.Port}
	if opts.DataDir == "" {
		dir, err := os.MkdirTemp("", "riskgraph-neo4j-data-")
		if err != nil {
			return nil, fmt.Errorf("neo4j test server: make data directory: %w", err)
		}
		s.opts.DataDir, s.ownData = dir, true
	}
	if err := s.launch(ctx); err != nil {
		if s.ownData {
			os.RemoveAll(s.opts.DataDir)
		}
		return nil, err
	}
	return s, nil
}

// URI is the server's Bolt address, e.g. bolt://127.0.0.1:7687.
func (s *Server) URI() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uri
}

// DataDir is the directory that holds the server's database files.
func (s *Server) DataDir() string { return s.opts.DataDir }

// Stop shuts the server down and removes a data directory that Start made. Disposable data
// is dropped at once (no clean shutdown); otherwise the server shuts down cleanly, and is
// killed if it has not exited within a grace period.
func (s *Server) Stop() error {
	cmd := "KEEP"
	if s.ownData {
		cmd = "DISCARD"
	}
	err := s.stopProcess(cmd)
	if s.ownData {
		if rerr := os.RemoveAll(s.opts.DataDir); rerr != nil && err == nil {
			err = fmt.Errorf("neo4j test server: remove data: %w", rerr)
		}
	}
	return err
}

// Restart stops the server and starts it again on the same port with the same data.
func (s *Server) Restart(ctx context.Context) error {
	if err := s.stopProcess("KEEP"); err != nil {
		return err
	}
	return s.launch(ctx)
}

// StopProcess stops the JVM but keeps the data directory, so Restart can bring it back.
func (s *Server) StopProcess() error { return s.stopProcess("KEEP") }

// stopProcess sends command (see the testserver's Main) and closes the JVM's stdin.
func (s *Server) stopProcess(command string) error {
	s.mu.Lock()
	cmd, stdin, exited := s.cmd, s.stdin, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	io.WriteString(stdin, command+"\n")
	stdin.Close()
	select {
	case <-exited:
	case <-time.After(stopGrace):
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("neo4j test server: did not stop within %s of stdin closing; killed", stopGrace)
	}
	return nil
}

// launch runs the JVM and waits for its BOLT line.
func (s *Server) launch(ctx context.Context) error {
	java, err := exec.LookPath("java")
	if err != nil {
		return fmt.Errorf("neo4j test server: java not found on PATH: %w", err)
	}
	mod := s.opts.ModuleDir
	args := append(jvmFlags(),
		"-cp", filepath.Join(mod, "target", "classes")+string(os.PathListSeparator)+filepath.Join(mod, "target", "lib", "*"),
		"riskgraph.testserver.Main", strconv.Itoa(s.port), s.opts.DataDir)
	if s.ownData {
		args = append(args, "temp") // the JVM deletes it if it stops on its own
	}
	// Not exec.CommandContext: the server outlives ctx, which only bounds the start.
	cmd := exec.Command(java, args...)
	cmd.Dir = mod
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("neo4j test server: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("neo4j test server: %w", err)
	}
	tail := &tailBuffer{max: 16 << 10}
	var errOut io.Writer = tail
	if s.opts.Log != nil {
		errOut = io.MultiWriter(tail, s.opts.Log)
	}
	cmd.Stderr = errOut
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("neo4j test server: start java: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(exited)
	}()

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if uri, ok := strings.CutPrefix(line, "BOLT "); ok && !sent {
				ready <- strings.TrimRight(strings.TrimSpace(uri), "/")
				sent = true
				continue
			}
			errOut.Write([]byte(line + "\n"))
		}
		io.Copy(io.Discard, stdout)
	}()

	timer := time.NewTimer(s.opts.StartTimeout)
	defer timer.Stop()
	fail := func(why string) error {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		return fmt.Errorf("neo4j test server: %s after %s; last output:\n%s", why, time.Since(began).Round(time.Millisecond), tail.String())
	}
	select {
	case uri := <-ready:
		port, err := portOf(uri)
		if err != nil {
			fail("bad BOLT line")
			return fmt.Errorf("neo4j test server: %w", err)
		}
		s.mu.Lock()
		s.uri, s.port, s.cmd, s.stdin, s.exited = uri, port, cmd, stdin, exited
		s.mu.Unlock()
		return nil
	case <-exited:
		return fmt.Errorf("neo4j test server: exited before it was ready (%v); last output:\n%s", s.waitErr, tail.String())
	case <-timer.C:
		return fail("not ready within " + s.opts.StartTimeout.String())
	case <-ctx.Done():
		return fail(ctx.Err().Error())
	}
}

// jvmFlags are the JVM options the embedded Neo4j needs on Java 17, with capped memory: a
// fixed heap (initial = max, as for a production server) and a page cache with room for the
// 100k-entity benchmark graph (about 800 MB of store and index files).
func jvmFlags() []string {
	return []string{
		"-Xms3g", "-Xmx3g", "-Driskgraph.pagecache.mb=1024",
		"-XX:+UseG1GC",
		"--add-opens", "java.base/java.nio=ALL-UNNAMED",
		"--add-opens", "java.base/java.io=ALL-UNNAMED",
		"--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
		"--add-opens", "java.base/java.lang=ALL-UNNAMED",
		"-Dio.netty.tryReflectionSetAccessible=true",
		"-Djava.awt.headless=true",
	}
}

func portOf(uri string) (int, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return 0, fmt.Errorf("parse bolt uri %q: %w", uri, err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		return 0, fmt.Errorf("bolt uri %q has no port", uri)
	}
	return p, nil
}

// FindModule locates tools/neo4j-testserver by walking up from the working directory, then
// from this source file.
func FindModule() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			cand := filepath.Join(dir, "tools", "neo4j-testserver")
			if _, err := os.Stat(filepath.Join(cand, "pom.xml")); err == nil {
				return cand, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("neo4j test server: tools/neo4j-testserver/pom.xml not found above the working directory")
}

// Build runs `mvn -q -B package` in the module when its compiled classes or copied jars are
// missing or older than its sources. Concurrent test binaries serialise on a lock file.
func Build(ctx context.Context, moduleDir string) error {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "riskgraph-neo4j-testserver.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("neo4j test server: build lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("neo4j test server: build lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	stale, err := stale(moduleDir)
	if err != nil || !stale {
		return err
	}
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return fmt.Errorf("neo4j test server: mvn not found on PATH: %w", err)
	}
	// Offline first: after one online build the local repository has everything.
	var out bytes.Buffer
	for _, args := range [][]string{{"-q", "-B", "-o", "package"}, {"-q", "-B", "package"}} {
		out.Reset()
		cmd := exec.CommandContext(ctx, mvn, args...)
		cmd.Dir = moduleDir
		cmd.Stdout, cmd.Stderr = &out, &out
		if err = cmd.Run(); err == nil {
			return nil
		}
	}
	return fmt.Errorf("neo4j test server: mvn package in %s: %w\n%s", moduleDir, err, out.String())
}

// stale reports whether the module's build output is missing or older than pom.xml or src/.
func stale(moduleDir string) (bool, error) {
	marker, err := os.Stat(filepath.Join(moduleDir, "target", "classes", "riskgraph", "testserver", "Main.class"))
	if err != nil {
		return true, nil
	}
	if jars, _ := filepath.Glob(filepath.Join(moduleDir, "target", "lib", "neo4j-harness-*.jar")); len(jars) == 0 {
		return true, nil
	}
	built := marker.ModTime()
	newer := false
	check := func(path string) error {
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if info.ModTime().After(built) {
			newer = true
		}
		return nil
	}
	if err := check(filepath.Join(moduleDir, "pom.xml")); err != nil {
		return false, fmt.Errorf("neo4j test server: %w", err)
	}
	err = filepath.WalkDir(filepath.Join(moduleDir, "src"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return check(path)
	})
	if err != nil {
		return false, fmt.Errorf("neo4j test server: scan sources: %w", err)
	}
	return newer, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
