package embedded_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"riskgraph/internal/store"
	"riskgraph/internal/synth"
)

// TestOpenLeavesNoFilePagesResident checks that opening a store gives back the pages of its
// file that loading read: its whole content is in the indexes, and at a million entities
// those pages were gigabytes of the resident set. Reads afterwards still answer from the
// indexes, and the file still takes writes.
func TestOpenLeavesNoFilePagesResident(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "riskgraph.db")
	s := store.Check(open(t, path))
	b := synth.Generate(synth.Config{Entities: 2000, Relationships: 10_000, Seed: 3})
	if _, err := s.Apply(ctx, b, "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() < 1<<20 {
		t.Fatalf("the file is %d bytes: too small to show anything", info.Size())
	}
	r := store.Check(open(t, path))
	t.Cleanup(func() { r.Close() })
	if kb := mappedResidentKB(t, path); kb > 64 {
		t.Errorf("after open, %d kB of the %d kB file are resident in the process", kb, info.Size()>>10)
	}
	got, err := r.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Entities) != len(b.Entities) || len(got.Relationships) != len(b.Relationships) {
		t.Errorf("reopened store exports %d entities and %d relationships, want %d and %d",
			len(got.Entities), len(got.Relationships), len(b.Entities), len(b.Relationships))
	}
	if _, err := r.Apply(ctx, synth.Generate(synth.Config{Entities: 10, Seed: 4}), "test"); err != nil {
		t.Errorf("write after open: %v", err)
	}
}

// mappedResidentKB is the resident size, from /proc/self/smaps, of this process's mappings
// of the file at path.
func mappedResidentKB(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	defer f.Close()
	total, in, seen := 0, false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && fields[5] == path
			seen = seen || in
			continue
		}
		if in && len(fields) == 3 && fields[0] == "Rss:" {
			n, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatalf("smaps Rss %q: %v", fields[1], err)
			}
			total += n
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Fatalf("no mapping of %s in smaps", path)
	}
	return total
}
