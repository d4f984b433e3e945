package embedded_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/store/storetest"
	"riskgraph/internal/synth"

	bolt "go.etcd.io/bbolt"
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
	if _, err := s.Apply(ctx, storetest.Fixture(), "test"); err != nil {
		t.Fatal(err)
	}
	retract := kg.Batch{Retractions: []kg.Retraction{{ID: "signal:ru-fi", On: 20200101}}}
	if _, err := s.Apply(ctx, retract, "test"); err != nil {
		t.Fatal(err)
	}
	want, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Ping(ctx); err == nil {
		t.Error("ping after close succeeded")
	}

	s = store.Check(open(t, path))
	defer s.Close()
	got, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after reopening:\n got %+v\nwant %+v", got, want)
	}
	sigs, err := s.Signals(ctx, []string{"government:ru"}, store.AsOf(20200101))
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 0 {
		t.Error("the retraction was lost on restart")
	}
	res, err := s.Apply(ctx, storetest.Fixture(), "test")
	if err != nil || len(res.Created)+len(res.Updated) != 1 { // only the retracted signal differs: it holds again from today
		t.Errorf("rewriting the fixture after restart: %+v, %v", res, err)
	}
}

// TestKilledWriterLosesNothing runs a child process that writes batches (entities and their
// relationships, each batch one Apply) and prints each acknowledged batch, kills it with
// SIGKILL mid-stream, and checks that every acknowledged batch is in the file, whole, and
// that any other batch is there whole or not at all.
func TestKilledWriterLosesNothing(t *testing.T) {
	const perBatch = 150
	if path := os.Getenv("RISKGRAPH_KILL_CHILD"); path != "" {
		s, err := embedded.Open(path)
		if err != nil {
			fmt.Println("open:", err)
			os.Exit(1)
		}
		c := store.Check(s)
		if _, err := c.Apply(context.Background(), kg.Batch{Entities: []kg.Entity{{ID: "government:hub", Kind: kg.KindGovernment, Name: "Hub"}}}, "test"); err != nil {
			fmt.Println("apply:", err)
			os.Exit(1)
		}
		for n := 0; ; n++ {
			var b kg.Batch
			for i := range perBatch {
				id := fmt.Sprintf("vendor:k%05d-%03d", n, i)
				b.Entities = append(b.Entities, kg.Entity{ID: id, Kind: kg.KindVendor, Name: id})
				b.Relationships = append(b.Relationships, kg.Relationship{Type: kg.RelHeadquarteredIn, From: id, To: "government:hub"})
			}
			if _, err := c.Apply(context.Background(), b, "test"); err != nil {
				fmt.Println("apply:", err)
				os.Exit(1)
			}
			fmt.Println(n)
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
	for len(acked) < 20 {
		n, err := out.Read(chunk)
		if err != nil {
			t.Fatalf("child stopped early: %v (%s)", err, buf)
		}
		buf = append(buf, chunk[:n]...)
		acked = strings.Fields(string(buf[:bytes.LastIndexByte(buf, '\n')+1]))
	}
	cmd.Process.Kill()
	cmd.Wait()

	s := store.Check(open(t, path))
	defer s.Close()
	all, err := s.Export(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	entities, rels := map[string]int{}, map[string]int{}
	for _, e := range all.Entities {
		if batch, _, ok := strings.Cut(strings.TrimPrefix(e.ID, "vendor:k"), "-"); ok {
			entities[batch]++
		}
	}
	for _, r := range all.Relationships {
		if batch, _, ok := strings.Cut(strings.TrimPrefix(r.From, "vendor:k"), "-"); ok {
			rels[batch]++
		}
	}
	for _, n := range acked {
		batch := fmt.Sprintf("%05s", n)
		if entities[batch] != perBatch || rels[batch] != perBatch {
			t.Errorf("acknowledged batch %s after SIGKILL: %d entities, %d relationships; want %d of each", n, entities[batch], rels[batch], perBatch)
		}
	}
	for batch, n := range entities {
		if n != perBatch || rels[batch] != perBatch {
			t.Errorf("batch %s is in the file in part: %d entities, %d relationships", batch, n, rels[batch])
		}
	}
	t.Logf("%d batches acknowledged, %d in the file", len(acked), len(entities))
}

// TestReadsFilesOfTheFormatBeforeVersions writes facts the way the store did before it kept
// versions (one JSON object per fact) and expects them to read as single versions recorded
// before history began, and to take the new form when they change.
func TestReadsFilesOfTheFormatBeforeVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	fx := storetest.Fixture()
	err = db.Update(func(tx *bolt.Tx) error {
		put := func(bucket, id string, v any) error {
			b, err := tx.CreateBucketIfNotExists([]byte(bucket))
			if err != nil {
				return err
			}
			raw, err := json.Marshal(v)
			if err != nil {
				return err
			}
			return b.Put([]byte(id), raw)
		}
		for _, e := range fx.Entities {
			if err := put("entities", e.ID, e); err != nil {
				return err
			}
		}
		for _, r := range fx.Relationships {
			r.Confidence = r.EffectiveConfidence()
			if err := put("relationships", r.ID(), r); err != nil {
				return err
			}
		}
		for _, g := range fx.Signals {
			if err := put("signals", g.ID, g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || db.Close() != nil {
		t.Fatalf("write the old file: %v", err)
	}
	s := store.Check(open(t, path))
	defer s.Close()
	ctx := t.Context()
	snap, err := s.Snapshot(ctx, store.AsOf(20180101))
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Entities) != len(fx.Entities) || len(snap.Relationships) != len(fx.Relationships)-1 || len(snap.Signals) != 2 {
		t.Fatalf("old file read: %d entities, %d relationships, %d signals", len(snap.Entities), len(snap.Relationships), len(snap.Signals))
	}
	for _, e := range snap.Entities {
		if e.Version == nil || e.Version.RecordedAt != 0 || e.Version.RecordedBy != "" {
			t.Errorf("%s from the old file: version %+v, want recorded at 0 by nobody", e.ID, e.Version)
		}
	}
	if res, err := s.Apply(ctx, fx, "test"); err != nil || len(res.Unchanged) != len(fx.Entities)+len(fx.Relationships)+len(fx.Signals) {
		t.Errorf("writing the same facts over the old file: %+v, %v; want all unchanged", res, err)
	}
	renamed := fx.Entities[4]
	renamed.Name, renamed.Validity.From = "Kaspersky", 20200101
	res, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{renamed}}, "test")
	if err != nil || len(res.Updated) != 1 {
		t.Fatalf("rename over the old file: %+v, %v", res, err)
	}
	h, err := s.History(ctx, []string{renamed.ID})
	if err != nil || len(h.Entities) != 3 {
		t.Fatalf("history after the first change: %+v, %v", h, err)
	}
	s.Close()
	s = store.Check(open(t, path))
	if got, err := s.History(ctx, []string{renamed.ID}); err != nil || !reflect.DeepEqual(got, h) {
		t.Errorf("history after reopening: %+v, %v; want %+v", got, err, h)
	}
}

// A long read stops soon after its context ends, with the context's error, rather than
// running to the end.
func TestLongReadsStopWithTheirContext(t *testing.T) {
	s := store.Check(open(t, filepath.Join(t.TempDir(), "big.db")))
	defer s.Close()
	g := synth.Generate(synth.Config{Entities: 20_000, Relationships: 100_000, Seed: 3, SignalRate: 0.01})
	if _, err := s.Load(t.Context(), g, "test", store.LoadOptions{BatchSize: 50_000, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func(context.Context) error{
		"snapshot": func(ctx context.Context) error { _, err := s.Snapshot(ctx, store.At{}); return err },
		"export":   func(ctx context.Context) error { _, err := s.Export(ctx); return err },
		"neighbourhood": func(ctx context.Context) error {
			_, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{g.Entities[0].ID}, MaxHops: 6})
			return err
		},
		"paths": func(ctx context.Context) error {
			_, err := s.Paths(ctx, store.PathQuery{From: g.Entities[1].ID, To: g.Entities[2].ID, MaxHops: 6, First: 100})
			return err
		},
	} {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := read(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with an ended context: %v, want context.Canceled", name, err)
		}
		if name == "paths" {
			continue // may find its paths within the deadline below
		}
		// A deadline that ends while the read runs (each takes far longer than 1 ms here).
		ctx, cancel = context.WithTimeout(t.Context(), time.Millisecond)
		err := read(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s past its deadline: %v, want context.DeadlineExceeded", name, err)
		}
	}
}

// TestBulkIndexKeepsAdjacencyOrder writes a hub's relationships in one batch large enough to
// be indexed in bulk (appended, then sorted) and one by one into another store, and checks
// that every read of the hub's relationships, by page and by type, is the same in both and
// after reopening the first (which loads everything in bulk).
func TestBulkIndexKeepsAdjacencyOrder(t *testing.T) {
	ctx := t.Context()
	ents := []kg.Entity{{ID: "government:hub", Kind: kg.KindGovernment, Name: "Hub"}}
	var rels []kg.Relationship
	for i := range 150 {
		v := fmt.Sprintf("vendor:v%03d", (i*37)%150) // not in id order
		ents = append(ents, kg.Entity{ID: v, Kind: kg.KindVendor, Name: v})
		rels = append(rels, kg.Relationship{Type: kg.RelHeadquarteredIn, From: v, To: "government:hub"},
			kg.Relationship{Type: kg.RelControlledBy, From: v, To: "government:hub"})
	}
	path := filepath.Join(t.TempDir(), "bulk.db")
	bulk := store.Check(open(t, path))
	if _, err := bulk.Apply(ctx, kg.Batch{Entities: ents, Relationships: rels}, "test"); err != nil {
		t.Fatal(err)
	}
	single := store.Check(open(t, filepath.Join(t.TempDir(), "single.db")))
	t.Cleanup(func() { single.Close() })
	if _, err := single.Apply(ctx, kg.Batch{Entities: ents}, "test"); err != nil {
		t.Fatal(err)
	}
	for _, r := range rels {
		if _, err := single.Apply(ctx, kg.Batch{Relationships: []kg.Relationship{r}}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	read := func(s *store.Checked, types []kg.RelType) []string {
		t.Helper()
		var ids []string
		q := store.RelQuery{EntityIDs: []string{"government:hub"}, Direction: kg.In, Types: types, Page: store.Page{First: 7}}
		for range 1000 { // more pages than the hub has relationships: a broken cursor
			pages, err := s.Relationships(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			p := pages["government:hub"]
			for _, r := range p.Items {
				ids = append(ids, r.ID())
			}
			if !p.HasNext {
				return ids
			}
			q.Page.After = p.EndCursor
		}
		t.Fatalf("paging the hub's relationships (types %v) does not end", types)
		return nil
	}
	check := func(what string, s *store.Checked) {
		t.Helper()
		for _, types := range [][]kg.RelType{nil, {kg.RelControlledBy}, {kg.RelHeadquarteredIn, kg.RelControlledBy}} {
			got, want := read(s, types), read(single, types)
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("%s, types %v: %d relationships, want the %d of the one-by-one store in its order", what, types, len(got), len(want))
			}
		}
	}
	checkReopened(t, path, bulk, "bulk write", check)
}

// TestBulkIndexKeepsSearch writes entities in batches large enough to be indexed in bulk (the
// search index's word list settled once per batch), renaming some so that words leave the
// index and come back, and checks that prefix searches and name matches find what they find
// in a store written one entity at a time, and after reopening. The bulk store searches and
// matches after every round, so its indexes are built early and then kept current by the
// writes; the other builds them from its records at the first search, after all writes.
func TestBulkIndexKeepsSearch(t *testing.T) {
	ctx := t.Context()
	batch := func(round int) []kg.Entity {
		var out []kg.Entity
		for i := range 300 {
			name := fmt.Sprintf("Acme %d Zeta%d", (i*53)%300, i%7)
			if round == 1 && i%2 == 0 {
				name = fmt.Sprintf("Borealis %d", i) // Zeta… and Acme words leave for half
			}
			if round == 2 && i%4 == 0 {
				name = fmt.Sprintf("Acme %d Zeta%d", (i*53)%300, i%7) // and come back
			}
			if round == 2 && i%4 != 0 && i%2 == 0 {
				name = fmt.Sprintf("Borealis %d", i)
			}
			out = append(out, kg.Entity{ID: fmt.Sprintf("vendor:v%03d", i), Kind: kg.KindVendor, Name: name})
		}
		return out
	}
	path := filepath.Join(t.TempDir(), "bulk.db")
	bulk := store.Check(open(t, path))
	single := store.Check(open(t, filepath.Join(t.TempDir(), "single.db")))
	t.Cleanup(func() { single.Close() })
	for round := range 3 {
		// Each round's rows start a day later, so a renaming is a new version.
		day := kg.Date(20200101 + round)
		rows := batch(round)
		for i := range rows {
			rows[i].Validity.From = day
		}
		if _, err := bulk.Apply(ctx, kg.Batch{Entities: rows}, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := bulk.Search(ctx, store.SearchQuery{Text: "acme", Page: store.Page{First: 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := bulk.MatchTargets(ctx, store.MatchQuery{Names: []string{"Acme 1"}}); err != nil {
			t.Fatal(err)
		}
		for _, e := range rows {
			if _, err := single.Apply(ctx, kg.Batch{Entities: []kg.Entity{e}}, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	find := func(s *store.Checked, text string) []string {
		t.Helper()
		p, err := s.Search(ctx, store.SearchQuery{Text: text, Page: store.Page{First: store.MaxFirst}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range p.Items {
			ids = append(ids, fmt.Sprintf("%s %.4f", h.Entity.ID, h.Score))
		}
		return ids
	}
	matches := func(s *store.Checked, name string) []string {
		t.Helper()
		es, err := s.MatchTargets(ctx, store.MatchQuery{Names: []string{name}, Limit: store.MaxMatchTargets})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range es {
			ids = append(ids, e.ID)
		}
		return ids
	}
	check := func(what string, s *store.Checked) {
		t.Helper()
		for _, text := range []string{"acme", "zeta3", "zet", "borealis", "bor", "acme 17", "v0"} {
			got, want := find(s, text), find(single, text)
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: search %q found %d, want the %d the one-by-one store finds", what, text, len(got), len(want))
			}
		}
		for _, name := range []string{"Acme 17 Zeta3", "Borealis 8", "Acme 100"} {
			got, want := matches(s, name), matches(single, name)
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: match %q found %v, want %v as the one-by-one store", what, name, got, want)
			}
		}
	}
	checkReopened(t, path, bulk, "bulk writes", check)
}

// checkReopened runs check on s (the store of the file at path, named what), closes s and
// runs check again on the store the file opens as.
func checkReopened(t *testing.T, path string, s *store.Checked, what string, check func(string, *store.Checked)) {
	t.Helper()
	check(what, s)
	s.Close()
	reopened := store.Check(open(t, path))
	t.Cleanup(func() { reopened.Close() })
	check("reopened", reopened)
}
