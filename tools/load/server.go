package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// findRepo walks up from the working directory to the go.mod of module riskgraph.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the riskgraph module: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module riskgraph\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the riskgraph module: no go.mod of module riskgraph above the working directory (use -repo)")
		}
		dir = parent
	}
}

// buildBinary runs `go build -o out .` in repo.
func buildBinary(ctx context.Context, repo, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = repo
	var msg bytes.Buffer
	cmd.Stdout, cmd.Stderr = &msg, &msg
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build riskgraph in %s: %w\n%s", repo, err, msg.String())
	}
	return nil
}

// makeKey runs `riskgraph keys add NAME ROLE --keys-file file` and returns the key it prints.
func makeKey(ctx context.Context, bin, file, name, role string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "keys", "add", name, role, "--keys-file", file)
	var out, msg bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &msg
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("riskgraph keys add %s %s: %w: %s", name, role, err, strings.TrimSpace(msg.String()))
	}
	key := strings.TrimSpace(out.String())
	if !strings.HasPrefix(key, "rgk_") || strings.ContainsAny(key, " \n") {
		return "", fmt.Errorf("riskgraph keys add %s %s: printed no key", name, role)
	}
	return key, nil
}

// server is a running `riskgraph serve` child process.
type server struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:PORT
	logPath string
	exited  chan struct{}
	waitErr error // set before exited closes
	logs    *logTally
}

// logTally counts the server's JSON log lines by level, and its warnings and errors by
// message.
type logTally struct {
	mu       sync.Mutex
	levels   map[string]int
	messages map[string]int // "LEVEL msg: err"
	other    int            // lines that are not JSON log records
}

func (t *logTally) add(line []byte) (rec map[string]any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := json.Unmarshal(line, &rec); err != nil {
		t.other++
		return nil
	}
	lvl, _ := rec["level"].(string)
	t.levels[lvl]++
	if lvl == "WARN" || lvl == "ERROR" {
		msg, _ := rec["msg"].(string)
		if e, ok := rec["err"].(string); ok {
			msg += ": " + cut(e, 160)
		}
		t.messages[lvl+" "+msg]++
	}
	return rec
}

// summary lists the counts, warnings and errors most frequent first.
func (t *logTally) summary(max int) (levels string, top []string, otherLines int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lv []string
	for l, n := range t.levels {
		lv = append(lv, fmt.Sprintf("%s %d", l, n))
	}
	sort.Strings(lv)
	type kv struct {
		k string
		n int
	}
	var ms []kv
	for k, n := range t.messages {
		ms = append(ms, kv{k, n})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].n > ms[j].n || ms[i].n == ms[j].n && ms[i].k < ms[j].k })
	for i, m := range ms {
		if i == max {
			top = append(top, fmt.Sprintf("… and %d more kinds", len(ms)-max))
			break
		}
		top = append(top, fmt.Sprintf("%6d× %s", m.n, m.k))
	}
	return strings.Join(lv, ", "), top, t.other
}

func (t *logTally) count(level string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.levels[level]
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// startServer runs `riskgraph serve` with args (which must include --addr 127.0.0.1:0 and
// --log-format json), copies its log to logPath, and returns once it logs "riskgraph ready"
// with its address.
func startServer(ctx context.Context, bin string, args []string, logPath string, wait time.Duration) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	// The server stops with this process, even if it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, logPath: logPath, exited: make(chan struct{}),
		logs: &logTally{levels: map[string]int{}, messages: map[string]int{}}}
	ready := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		r := bufio.NewReaderSize(stderr, 64<<10)
		sent := false
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 {
				logFile.Write(line)
				rec := s.logs.add(bytes.TrimSpace(line))
				if url, ok := rec["url"].(string); ok && !sent && rec["msg"] == "riskgraph ready" {
					ready <- strings.TrimSuffix(url, "/")
					sent = true
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		<-copied // Wait closes the pipe: read it to its end first
		s.waitErr = cmd.Wait()
		logFile.Close()
		close(s.exited)
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case s.base = <-ready:
		if !strings.HasPrefix(s.base, "http://127.0.0.1:") {
			s.stop(5 * time.Second)
			return nil, fmt.Errorf("server: ready on %s, not on loopback", s.base)
		}
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("server exited before it was ready (%v); see %s:\n%s", s.waitErr, logPath, tailOf(logPath, 2000))
	case <-timer.C:
	case <-ctx.Done():
	}
	s.stop(5 * time.Second)
	return nil, fmt.Errorf("server not ready within %s; see %s:\n%s", wait, logPath, tailOf(logPath, 2000))
}

// stop sends SIGTERM and waits up to grace for a graceful exit, then kills. It returns the
// process's exit error (nil for exit 0 after SIGTERM).
func (s *server) stop(grace time.Duration) error {
	select {
	case <-s.exited:
		return fmt.Errorf("server had already exited: %v", s.waitErr)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal server: %w", err)
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			return fmt.Errorf("server exit after SIGTERM: %w", s.waitErr)
		}
		return nil
	case <-time.After(grace):
		s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("server did not exit within %s of SIGTERM; killed", grace)
	}
}

// alive reports whether the server process is still running.
func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// tailOf returns the last n bytes of a file, for error messages.
func tailOf(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
