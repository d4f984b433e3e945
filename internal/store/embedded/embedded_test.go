package embedded_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/store/storetest"
)

func open(t *testing.T, path string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := open(t, filepath.Join(t.TempDir(), "riskgraph.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "riskgraph.db")
	ctx := t.Context()
	s := store.Check(open(t, path))
	if _, err := s.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retract(ctx, []string{"signal:ru-fi"}, 20200101); err != nil {
		t.Fatal(err)
	}
	want, err := s.Snapshot(ctx, 20180101)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Ping(ctx); err == nil {
		t.Error("ping after close succeeded")
	}

	s = store.Check(open(t, path))
	defer s.Close()
	got, err := s.Snapshot(ctx, 20180101)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after reopening:\n got %+v\nwant %+v", got, want)
	}
	sigs, err := s.Signals(ctx, []string{"government:ru"}, 20200101)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 0 {
		t.Error("the retraction was lost on restart")
	}
	res, err := s.Apply(ctx, storetest.Fixture())
	if err != nil || len(res.Created)+len(res.Updated) != 1 { // only the retracted signal differs
		t.Errorf("rewriting the fixture after restart: %+v, %v", res, err)
	}
}

// TestKilledWriterLosesNothing runs a child process that writes and prints each acknowledged
// id, kills it with SIGKILL mid-stream, and checks every acknowledged write is in the file.
func TestKilledWriterLosesNothing(t *testing.T) {
	if path := os.Getenv("RISKGRAPH_KILL_CHILD"); path != "" {
		s, err := embedded.Open(path)
		if err != nil {
			fmt.Println("open:", err)
			os.Exit(1)
		}
		for i := 0; ; i++ {
			id := fmt.Sprintf("vendor:k%05d", i)
			if _, err := store.Check(s).Apply(context.Background(), kg.Batch{Entities: []kg.Entity{{ID: id, Kind: kg.KindVendor, Name: id}}}); err != nil {
				fmt.Println("apply:", err)
				os.Exit(1)
			}
			fmt.Println(id)
		}
	}
	path := filepath.Join(t.TempDir(), "riskgraph.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterLosesNothing$")
	cmd.Env = append(os.Environ(), "RISKGRAPH_KILL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	buf := make([]byte, 0, 1<<16)
	chunk := make([]byte, 4096)
	for len(acked) < 50 {
		n, err := out.Read(chunk)
		if err != nil {
			t.Fatalf("child stopped early: %v (%s)", err, buf)
		}
		buf = append(buf, chunk[:n]...)
		acked = acked[:0]
		start := 0
		for i, c := range buf {
			if c == '\n' {
				acked = append(acked, string(buf[start:i]))
				start = i + 1
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()

	s := store.Check(open(t, path))
	defer s.Close()
	got, err := s.Entities(t.Context(), acked, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range acked {
		if _, ok := got[id]; !ok {
			t.Errorf("acknowledged write %s lost after SIGKILL", id)
		}
	}
}
