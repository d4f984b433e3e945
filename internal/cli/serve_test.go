package cli

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Without keys the server listens on loopback only, and says why when asked for more.
func TestLocalModeRefusesNonLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:8080": true, "127.9.9.9:1": true, "[::1]:8080": true, "localhost:8080": true, "LocalHost:1": true,
		"0.0.0.0:8080": false, ":8080": false, "[::]:8080": false, "192.168.1.10:8080": false, "example.com:80": false,
		"localhost.example.com:80": false,
	} {
		err := checkLocalMode(addr, 0)
		if (err == nil) != ok {
			t.Errorf("%s without keys: %v, want allowed=%v", addr, err, ok)
		}
		if err != nil && (!errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "keys add")) {
			t.Errorf("%s: %v; want a usage error that says how to make a key", addr, err)
		}
		if err := checkLocalMode(addr, 1); err != nil {
			t.Errorf("%s with a key: %v", addr, err)
		}
	}
	// Through the command line: exit 2, before the store is opened.
	data := filepath.Join(t.TempDir(), "riskgraph.db")
	_, stderr, code := run(t, "serve", "--addr", "0.0.0.0:0", "--data", data)
	if code != ExitUsage || !strings.Contains(stderr, "without API keys") {
		t.Errorf("serve on 0.0.0.0 without keys: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(data); err == nil {
		t.Error("the store was opened before the access settings were checked")
	}
}

func TestServeRejectsBadAccessSettings(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "riskgraph.db")
	bad := filepath.Join(dir, "bad-keys")
	os.WriteFile(bad, []byte("ci editor nothex\n"), 0o600)
	for _, tc := range []struct {
		args    []string
		mention string
	}{
		{[]string{"serve", "--introspection", "some"}, "introspection"},
		{[]string{"serve", "--allowed-hosts", "a/b"}, "allowed host"},
		{[]string{"serve", "--cors-origins", "evil.example"}, "CORS origin"},
		{[]string{"serve", "--rate-limit", "-1"}, "rate-limit"},
		{[]string{"serve", "--rate-burst", "0"}, "rate-burst"},
		{[]string{"serve", "--max-aliases", "0"}, "max-aliases"},
		{[]string{"serve", "--keys-file", filepath.Join(dir, "none"), "--data", data}, "does not exist"},
		{[]string{"serve", "--keys-file", bad, "--data", data}, "line 1"},
		{[]string{"serve", "--keys", "ci editor", "--data", data}, "RISKGRAPH_KEYS"},
	} {
		_, stderr, code := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.mention) {
			t.Errorf("%v: exit %d, %q; want exit 2 mentioning %q", tc.args, code, stderr, tc.mention)
		}
	}
}

// Every timeout of the server is set: no connection is held longer than its request may take.
func TestServerTimeouts(t *testing.T) {
	timeout := 10 * time.Second
	srv := newHTTPServer(http.NotFoundHandler(), timeout, slog.New(slog.DiscardHandler))
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout < timeout || srv.WriteTimeout <= timeout || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Errorf("server timeouts: header %s, read %s, write %s, idle %s, max header %d", srv.ReadHeaderTimeout, srv.ReadTimeout,
			srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
	if srv.WriteTimeout > timeout+10*time.Second {
		t.Errorf("write timeout %s: want a little above the request timeout %s", srv.WriteTimeout, timeout)
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	s := secrets{words: []string{"hunter22"}}
	for in, leak := range map[string]string{
		"open bolt://neo4j:pa55word@db:7687: refused":   "pa55word",
		"neo4j+s://user:secret@host and http://a:b@c/d": "secret",
		"auth failed for hunter22":                      "hunter22",
	} {
		if out := s.redact(in); strings.Contains(out, leak) || !strings.Contains(out, "REDACTED") {
			t.Errorf("redact(%q) = %q", in, out)
		}
	}
	var buf bytes.Buffer
	log := slog.New(redacting{slog.NewTextHandler(&buf, nil), s})
	log.With("uri", "bolt://u:hunter22@h").Error("cannot open bolt://u:pw1234@h", "err", errors.New("dial bolt://x:hunter22@h"),
		slog.Group("g", "p", "hunter22"))
	if out := buf.String(); strings.Contains(out, "hunter22") || strings.Contains(out, "pw1234") {
		t.Errorf("a log line shows a secret: %s", out)
	}
	err := redactError(usagef("bad bolt://u:hunter22@h"), s)
	if strings.Contains(err.Error(), "hunter22") || !errors.As(err, new(usageError)) {
		t.Errorf("redacted error %q lost its secret or its kind", err)
	}

	// Through the command line: a Neo4j that cannot be reached, its password in the URI and the flag.
	_, stderr, code := run(t, "serve", "--store", "neo4j", "--neo4j-uri", "bolt://neo4j:hunter22@127.0.0.1:1", "--neo4j-password", "hunter22")
	if code == ExitOK || strings.Contains(stderr, "hunter22") {
		t.Errorf("serve on an unreachable Neo4j: exit %d, stderr shows the password: %q", code, stderr)
	}
}
