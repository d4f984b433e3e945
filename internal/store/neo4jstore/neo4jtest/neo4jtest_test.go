package neo4jtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStale(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	write := func(t *testing.T, path string, at time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  bool
	}{
		{"never built", func(t *testing.T, dir string) {}, true},
		{"classes but no jars", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "target/classes/riskgraph/testserver/Main.class"), time.Now())
		}, true},
		{"up to date", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "target/classes/riskgraph/testserver/Main.class"), time.Now())
			write(t, filepath.Join(dir, "target/lib/neo4j-harness-5.26.0.jar"), time.Now())
		}, false},
		{"source edited after the build", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "target/classes/riskgraph/testserver/Main.class"), old)
			write(t, filepath.Join(dir, "target/lib/neo4j-harness-5.26.0.jar"), old)
			write(t, filepath.Join(dir, "src/main/java/riskgraph/testserver/Main.java"), time.Now())
		}, true},
		{"pom edited after the build", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "target/classes/riskgraph/testserver/Main.class"), old)
			write(t, filepath.Join(dir, "target/lib/neo4j-harness-5.26.0.jar"), old)
			write(t, filepath.Join(dir, "pom.xml"), time.Now())
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "pom.xml"), old.Add(-time.Hour))
			write(t, filepath.Join(dir, "src/main/java/riskgraph/testserver/Main.java"), old.Add(-time.Hour))
			tc.setup(t, dir)
			got, err := stale(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("stale = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFindModule(t *testing.T) {
	dir, err := FindModule()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pom.xml")); err != nil || !strings.HasSuffix(dir, filepath.Join("tools", "neo4j-testserver")) {
		t.Fatalf("FindModule = %s (%v)", dir, err)
	}
}

func TestPortOf(t *testing.T) {
	tests := []struct {
		uri     string
		want    int
		wantErr bool
	}{
		{"bolt://127.0.0.1:7687", 7687, false},
		{"bolt://127.0.0.1:41234", 41234, false},
		{"bolt://127.0.0.1", 0, true},
	}
	for _, tc := range tests {
		got, err := portOf(tc.uri)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("portOf(%q) = %d, %v; want %d, error %v", tc.uri, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	b.Write([]byte("abcdef"))
	b.Write([]byte("ghij"))
	if got := b.String(); got != "cdefghij" {
		t.Errorf("tail = %q, want %q", got, "cdefghij")
	}
}
