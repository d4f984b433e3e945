package service_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/report"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
)

// changesOf collects every change between two snapshots, keyed "DIMENSION entity".
func changesOf(t *testing.T, svc *service.Service, from, to string) map[string]report.Change {
	t.Helper()
	out := map[string]report.Change{}
	err := svc.SnapshotChanges(t.Context(), from, to, 0.01, func(d kg.Dimension, cs []report.Change) error {
		for _, c := range cs {
			if c.Dimension != d {
				return fmt.Errorf("change of %s handed on under %s", c.Dimension, d)
			}
			out[string(d)+" "+c.EntityID] = c
		}
		return nil
	})
	if err != nil {
		t.Fatalf("SnapshotChanges: %v", err)
	}
	return out
}

func TestSnapshotChangesExplainTheSeedStory(t *testing.T) {
	svc, _ := seeded(t)
	ctx := t.Context()
	a, prev, err := svc.RecordSnapshot(ctx, 20170901, 0)
	if err != nil || prev != nil {
		t.Fatalf("first snapshot: %v, previous %v", err, prev)
	}
	b, prev, err := svc.RecordSnapshot(ctx, 20171231, 0)
	if err != nil {
		t.Fatalf("second snapshot: %v", err)
	}
	if prev == nil || prev.ID != a.ID {
		t.Fatalf("the second snapshot is compared with %v, want %s", prev, a.ID)
	}
	if b.Scores == 0 || b.ModelVersion == "" || b.KnownAt == 0 || b.CreatedBy != store.DefaultWriter {
		t.Errorf("snapshot description %+v", b)
	}
	changes := changesOf(t, svc, a.ID, b.ID)

	// Best Buy stopped selling the products on 2017-09-08: its regulatory exposure is gone,
	// and the one cause is the end of that relationship, with the statement that says so.
	bb, ok := changes["REGULATORY retailer:best-buy"]
	if !ok || bb.Change != report.Gone {
		t.Fatalf("Best Buy's regulatory change = %+v, want GONE", bb)
	}
	if len(bb.Causes) != 1 {
		t.Fatalf("Best Buy's causes = %+v, want one", bb.Causes)
	}
	c := bb.Causes[0]
	if c.Kind != report.FactEnded || c.FactID != "retailer:best-buy-SELLS->product:kaspersky-anti-virus" || c.Date != 20170908 {
		t.Errorf("Best Buy's cause = %s %s on %s", c.Kind, c.FactID, c.Date)
	}
	if math.Abs(c.Delta-bb.Delta) > 1e-9 {
		t.Errorf("the one cause moves the score by %v, the score moved by %v", c.Delta, bb.Delta)
	}
	if len(c.Sources) == 0 || c.Sources[0].SourceID != "source:best-buy-statement-2017-09-08" || c.Sources[0].Published != 20170908 || c.Sources[0].Name == c.Sources[0].SourceID {
		t.Errorf("Best Buy's cause cites %+v", c.Sources)
	}
	if c.Summary != "Best Buy SELLS Kaspersky anti-virus and security software ended on 2017-09-08" {
		t.Errorf("summary %q", c.Summary)
	}
	if len(c.Chain) == 0 || c.Chain[len(c.Chain)-1].To != "retailer:best-buy" || c.Chain[0].FromName == "" {
		t.Errorf("the chain drawn for Best Buy: %+v", c.Chain)
	}

	// BOD 17-01, issued 2017-09-13, raised Kaspersky Lab's regulatory score.
	kl := changes["REGULATORY vendor:kaspersky-lab"]
	if kl.Change != report.Up {
		t.Fatalf("Kaspersky Lab's regulatory change = %+v, want UP", kl)
	}
	i := slices.IndexFunc(kl.Causes, func(c report.Cause) bool {
		return c.Kind == report.SignalAdded && c.FactID == "signal:bod-17-01-federal-ban" && c.Date == 20170913
	})
	if i < 0 {
		t.Errorf("Kaspersky Lab's causes name no SIGNAL_ADDED of BOD 17-01: %+v", kl.Causes)
	}
	// Every change has a cause, the causes are biggest first, and when every cause pulls
	// the same way they add up to the change.
	for k, ch := range changes {
		if len(ch.Causes) == 0 {
			t.Errorf("%s: no cause", k)
			continue
		}
		sum := 0.0
		same := true
		for j, ca := range ch.Causes {
			sum += ca.Delta
			same = same && ca.Delta*ch.Delta > 0
			if j > 0 && math.Abs(ca.Delta) > math.Abs(ch.Causes[j-1].Delta)+1e-12 {
				t.Errorf("%s: causes not biggest first: %+v", k, ch.Causes)
			}
		}
		if same && math.Abs(sum-ch.Delta) > 1e-9 {
			t.Errorf("%s: causes add up to %v, the score moved by %v", k, sum, ch.Delta)
		}
	}

	// The same changes come through the paged query, biggest move first across dimensions.
	var paged []report.Change
	for q := (service.ChangesQuery{FromDate: 20170901, ToDate: 20171231, MinDelta: 0.01, Page: service.Page{First: 7}}); ; {
		p, err := svc.RiskChanges(ctx, q)
		if err != nil {
			t.Fatalf("RiskChanges: %v", err)
		}
		if p.Total != len(changes) || p.From.ID != a.ID || p.To.ID != b.ID {
			t.Fatalf("RiskChanges: total %d (want %d), from %s, to %s", p.Total, len(changes), p.From.ID, p.To.ID)
		}
		paged = append(paged, p.Items...)
		if !p.HasNext {
			break
		}
		q.Page.After = p.EndCursor
	}
	if len(paged) != len(changes) {
		t.Fatalf("paged through %d changes, want %d", len(paged), len(changes))
	}
	for j := 1; j < len(paged); j++ {
		if math.Abs(paged[j].Delta) > math.Abs(paged[j-1].Delta) {
			t.Fatalf("page order: %v after %v", paged[j].Delta, paged[j-1].Delta)
		}
	}
	for _, p := range paged {
		if w := changes[string(p.Dimension)+" "+p.EntityID]; fmt.Sprint(w) != fmt.Sprint(p) {
			t.Errorf("paged change differs from the report's:\n%+v\n%+v", p, w)
		}
	}
	_, err = svc.RiskChanges(ctx, service.ChangesQuery{FromDate: 20170101, ToDate: 20171231})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("changes from a date with no snapshot: %v, want not found", err)
	}
	_, err = svc.RiskChanges(ctx, service.ChangesQuery{ToDate: 20171231})
	if !errors.Is(err, kg.ErrInvalid) {
		t.Errorf("changes with no earlier snapshot named: %v, want invalid", err)
	}
}

func TestSnapshotsReplayTheirMoment(t *testing.T) {
	svc, _ := seeded(t)
	ctx := t.Context()
	a, _, err := svc.RecordSnapshot(ctx, 20171231, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A signal learned after the first run, valid since long before: the second run of the
	// same date sees it, and the cause is its recording, not a date.
	sig := kg.RiskSignal{ID: "signal:late-news", EntityID: "retailer:best-buy", Dimension: kg.DimReputational, Severity: 0.5,
		Reason: "Learned late.", Sources: []kg.Citation{{SourceID: "source:best-buy-statement-2017-09-08", Excerpt: "Late news."}},
		Validity: kg.Validity{From: 20170101}}
	if _, err := svc.Apply(ctx, kg.Batch{Signals: []kg.RiskSignal{sig}}); err != nil {
		t.Fatal(err)
	}
	b, _, err := svc.RecordSnapshot(ctx, 20171231, 0)
	if err != nil {
		t.Fatal(err)
	}
	changes := changesOf(t, svc, a.ID, b.ID)
	c, ok := changes["REPUTATIONAL retailer:best-buy"]
	if !ok || c.Change != report.New || len(c.Causes) != 1 || c.Causes[0].Kind != report.FactRecorded || c.Causes[0].FactID != sig.ID {
		t.Fatalf("Best Buy's reputational change = %+v, want NEW caused by FACT_RECORDED %s", c, sig.ID)
	}
	// Compared with itself, a snapshot has not changed, however the graph moved since.
	if again := changesOf(t, svc, a.ID, a.ID); len(again) != 0 {
		t.Errorf("a snapshot differs from itself: %v", again)
	}
}

func TestSnapshotRetentionAndRoles(t *testing.T) {
	svc, _ := seeded(t)
	ctx := t.Context()
	if _, _, err := svc.RecordSnapshot(ctx, 20170901, 1); !errors.Is(err, kg.ErrInvalid) {
		t.Errorf("keep 1: %v, want invalid", err)
	}
	var ids []string
	first := service.ChangesQuery{MinDelta: 0.01, Page: service.Page{First: 1}}
	for _, d := range []kg.Date{20170801, 20170901, 20171001, 20171101} {
		m, _, err := svc.RecordSnapshot(ctx, d, 2)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
		if len(ids) == 2 { // the service keeps this comparison for the pages after it
			first.From, first.To = ids[0], ids[1]
			if _, err := svc.RiskChanges(ctx, first); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := svc.RiskChanges(ctx, first); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("changes from a snapshot retention removed: %v, want not found", err)
	}
	all, err := svc.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range all {
		got = append(got, m.ID)
	}
	if want := []string{ids[3], ids[2]}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want the newest two %v", got, want)
	}
	reader := service.WithCaller(ctx, service.Caller{Name: "dash", Role: service.RoleReader})
	if _, _, err := svc.RecordSnapshot(reader, 20171201, 0); !errors.Is(err, service.ErrForbidden) {
		t.Errorf("a reader records a snapshot: %v, want forbidden", err)
	}
	editor := service.WithCaller(ctx, service.Caller{Name: "nightly", Role: service.RoleEditor})
	m, prev, err := svc.RecordSnapshot(editor, 20171201, 0)
	if err != nil || m.CreatedBy != "nightly" || prev == nil || prev.ID != ids[3] {
		t.Errorf("an editor's snapshot: %+v, previous %+v, %v", m, prev, err)
	}
	// Paging the list gives each snapshot once, newest first.
	var paged []string
	for p := (service.Page{First: 1}); ; {
		page, err := svc.SnapshotList(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Items {
			paged = append(paged, m.ID)
		}
		if !page.HasNext {
			break
		}
		p.After = page.EndCursor
	}
	if want := []string{m.ID, ids[3], ids[2]}; !slices.Equal(paged, want) {
		t.Errorf("paged snapshots %v, want %v", paged, want)
	}
}

func TestSnapshotScoresPage(t *testing.T) {
	svc, _ := seeded(t)
	ctx := t.Context()
	m, _, err := svc.RecordSnapshot(ctx, 20171231, 0)
	if err != nil {
		t.Fatal(err)
	}
	var all []service.DimensionScore
	for p := (service.Page{First: 9}); ; {
		page, err := svc.SnapshotScorePage(ctx, m.ID, "", p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Items...)
		if !page.HasNext {
			break
		}
		p.After = page.EndCursor
	}
	if len(all) != m.Scores {
		t.Fatalf("paged %d scores, the snapshot holds %d", len(all), m.Scores)
	}
	// They equal the ranking of a fresh pass, dimension by dimension.
	for _, d := range kg.Dimensions {
		rk, err := svc.Ranking(ctx, service.RankingQuery{Dimension: d, At: service.AsOf(20171231), Page: service.Page{First: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		var mine []service.DimensionScore
		for _, s := range all {
			if s.Dimension == d {
				mine = append(mine, s)
			}
		}
		if len(mine) != len(rk.Items) {
			t.Fatalf("%s: %d stored scores, ranking has %d", d, len(mine), len(rk.Items))
		}
		for i, s := range mine {
			if r := rk.Items[i]; s.Score.EntityID != r.EntityID || s.Score.Score != r.Score || s.Score.Rank != i+1 || s.Score.Name == "" {
				t.Errorf("%s #%d: stored %+v, ranked %+v", d, i+1, s.Score, r)
			}
		}
	}
	if _, err := svc.SnapshotScorePage(ctx, "snapshot:2017-12-31:none", "", service.Page{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("scores of an unknown snapshot: %v", err)
	}
}

func TestDueObligationsOverTime(t *testing.T) {
	svc, _ := seeded(t)
	due := func(d kg.Date, window int) map[string]report.ObligationItem {
		t.Helper()
		items, err := svc.DueObligations(t.Context(), report.SnapshotInfo{AsOf: d}, window)
		if err != nil {
			t.Fatalf("DueObligations on %s: %v", d, err)
		}
		out := map[string]report.ObligationItem{}
		for i, it := range items {
			if i > 0 && it.Due < items[i-1].Due {
				t.Errorf("%s: not soonest first: %v", d, items)
			}
			out[it.ID+" "+string(it.Status)] = it
		}
		return out
	}
	// A week after BOD 17-01: the 30-day identification is due soon, for every bound party.
	sep := due(20170920, 30)
	if it, ok := sep["directive:bod-17-01#identify DUE_SOON"]; !ok || it.DaysUntilDue != 23 || len(it.Pending) == 0 {
		t.Errorf("on 2017-09-20: %v", sep)
	}
	if _, ok := sep["directive:bod-17-01#remove DUE_SOON"]; ok {
		t.Errorf("the 90-day removal is listed 83 days ahead with a 30-day window")
	}
	// On 2017-11-20 two are overdue and the removal is due soon.
	nov := due(20171120, 30)
	for _, k := range []string{"directive:bod-17-01#identify OVERDUE", "directive:bod-17-01#plan OVERDUE", "directive:bod-17-01#remove DUE_SOON"} {
		if _, ok := nov[k]; !ok {
			t.Errorf("on 2017-11-20 %s is missing: %v", k, nov)
		}
	}
	// By the year's end the agencies stopped using the products; one bound party has not.
	dec := due(20171231, 30)
	if it := dec["directive:bod-17-01#remove OVERDUE"]; !slices.Equal(it.Pending, []string{"agency:illustrative-federal-bureau"}) || it.Met == 0 {
		t.Errorf("on 2017-12-31: %v", dec)
	}
	if _, err := svc.DueObligations(t.Context(), report.SnapshotInfo{AsOf: 20171231}, -1); !errors.Is(err, kg.ErrInvalid) {
		t.Errorf("a negative window: %v", err)
	}
}

func TestDataQualityFindsWhatToCheck(t *testing.T) {
	svc, s := seeded(t)
	ctx := t.Context()
	bare := kg.Entity{ID: "vendor:no-source", Kind: kg.KindVendor, Name: "No Source Inc"}
	disputed := kg.Relationship{Type: kg.RelOwnedBy, From: "vendor:no-source", To: "vendor:kaspersky-lab", Inferred: true,
		Sources: []kg.Citation{{SourceID: "source:reuters-ap-2017-09-13", Excerpt: "Denied.", Stance: kg.StanceDisputes}}}
	if _, err := svc.Apply(ctx, kg.Batch{Entities: []kg.Entity{bare}, Relationships: []kg.Relationship{disputed}}); err != nil {
		t.Fatal(err)
	}
	q, err := svc.DataQuality(ctx, report.SnapshotInfo{AsOf: 20171231}, 60)
	if err != nil {
		t.Fatal(err)
	}
	has := func(list []report.FactRef, id string) bool {
		return slices.ContainsFunc(list, func(f report.FactRef) bool { return f.ID == id })
	}
	if !has(q.Unsourced, bare.ID) || !has(q.Inferred, disputed.ID()) || !has(q.Disputed, disputed.ID()) {
		t.Errorf("quality misses the new facts: %+v", q)
	}
	// Every listed fact really is what its list says, read back from the store.
	for _, f := range q.Unsourced {
		if f.Kind == "ENTITY" {
			es, err := s.Entities(ctx, []string{f.ID}, store.AsOf(20171231))
			if err != nil {
				t.Fatal(err)
			}
			if len(es[f.ID].Sources) != 0 {
				t.Errorf("%s is listed unsourced but cites %v", f.ID, es[f.ID].Sources)
			}
		}
	}
	// The seed's sources were published in September 2017: stale after 60 days by the year's end.
	if q.StaleSourcesCount == 0 || q.StaleSourcesCount != len(q.StaleSources) || q.StaleSources[0].Date == 0 {
		t.Errorf("stale sources after 60 days: %d %+v", q.StaleSourcesCount, q.StaleSources)
	}
	fresh, err := svc.DataQuality(ctx, report.SnapshotInfo{AsOf: 20171231}, 3650)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.StaleSourcesCount >= q.StaleSourcesCount {
		t.Errorf("a ten-year threshold finds %d stale sources, 60 days %d", fresh.StaleSourcesCount, q.StaleSourcesCount)
	}
}

// TestRecordedScoresAreTheStoredOnes: the scores a service keeps from recording a snapshot
// are those another service decodes from the store.
func TestRecordedScoresAreTheStoredOnes(t *testing.T) {
	svc, st := seeded(t)
	ctx := t.Context()
	m, _, err := svc.RecordSnapshot(ctx, 20171231, 0)
	if err != nil {
		t.Fatal(err)
	}
	read := func(s *service.Service) map[kg.Dimension][]report.Score {
		t.Helper()
		out := map[kg.Dimension][]report.Score{}
		err := s.SnapshotScores(ctx, m.ID, func(d kg.Dimension, sc []report.Score) error {
			out[d] = append(out[d], sc...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	kept := read(svc)
	decoded := read(service.New(st, risk.DefaultModel())) // a fresh service decodes the chunks
	n := 0
	for _, sc := range decoded {
		n += len(sc)
	}
	if n != m.Scores || !reflect.DeepEqual(kept, decoded) {
		t.Errorf("kept scores differ from the %d stored ones (%d decoded)", m.Scores, n)
	}
}

// TestDataQualityListsTheFirstByID: with more unsourced facts than a list holds, written in
// no particular order, the list holds the first report.QualityListMax of them, entities
// before relationships before signals, each in id order, named as of the moment, and the
// count has them all.
func TestDataQualityListsTheFirstByID(t *testing.T) {
	svc, s := seeded(t)
	ctx := t.Context()
	var b kg.Batch
	for i := range 3 * report.QualityListMax {
		n := (i * 47) % (3 * report.QualityListMax) // ids not in order
		v := fmt.Sprintf("vendor:q%03d", n)
		b.Entities = append(b.Entities, kg.Entity{ID: v, Kind: kg.KindVendor, Name: fmt.Sprintf("Q %d", n),
			Sources: []kg.Citation{{SourceID: "source:reuters-ap-2017-09-13", Excerpt: "Named."}}})
		b.Relationships = append(b.Relationships, kg.Relationship{Type: kg.RelHeadquarteredIn, From: v, To: "government:russian-federation"})
	}
	// Walking entities in id order meets vendor:q's relationship before vendor:q-0's, whose
	// id comes first ("vendor:q-0-…" < "vendor:q-H…").
	for _, v := range []string{"vendor:q", "vendor:q-0"} {
		b.Entities = append(b.Entities, kg.Entity{ID: v, Kind: kg.KindVendor, Name: v,
			Sources: []kg.Citation{{SourceID: "source:reuters-ap-2017-09-13", Excerpt: "Named."}}})
		b.Relationships = append(b.Relationships, kg.Relationship{Type: kg.RelHeadquarteredIn, From: v, To: "government:russian-federation"})
	}
	if _, err := svc.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	at := store.AsOf(20171231)
	snap, err := s.Snapshot(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	var want []string
	for _, e := range snap.Entities {
		names[e.ID] = e.Name
		if e.Kind != kg.KindSource && len(e.Sources) == 0 {
			want = append(want, e.ID)
		}
	}
	summary := map[string]string{}
	for _, r := range snap.Relationships {
		if len(r.Sources) == 0 {
			want = append(want, r.ID())
			summary[r.ID()] = names[r.From] + " " + string(r.Type) + " " + names[r.To]
		}
	}
	for _, g := range snap.Signals {
		if len(g.Sources) == 0 {
			want = append(want, g.ID)
		}
	}
	q, err := svc.DataQuality(ctx, report.SnapshotInfo{AsOf: 20171231}, 60)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range q.Unsourced {
		got = append(got, f.ID)
		if w, ok := summary[f.ID]; ok && f.Summary != w {
			t.Errorf("%s summed up as %q, want %q", f.ID, f.Summary, w)
		}
	}
	if q.UnsourcedCount != len(want) || !slices.Equal(got, want[:report.QualityListMax]) {
		t.Errorf("unsourced: %d counted, listed %v; want %d, listing %v", q.UnsourcedCount, got, len(want), want[:report.QualityListMax])
	}
}

// overlapStore is an embedded store whose walks of moment hold wait, up to 10 s, until a
// walk of another moment has begun; it notes the moments walked.
type overlapStore struct {
	*embedded.Store
	hold   kg.Date
	mu     sync.Mutex
	walked []store.At
	other  chan struct{} // closed when a walk of another moment begins
	once   sync.Once
}

func (o *overlapStore) Walk(ctx context.Context, at store.At, v store.FactVisitor) error {
	o.mu.Lock()
	o.walked = append(o.walked, at)
	o.mu.Unlock()
	if at.AsOf != o.hold {
		o.once.Do(func() { close(o.other) })
	} else {
		select {
		case <-o.other:
		case <-time.After(10 * time.Second):
		}
	}
	return o.Store.Walk(ctx, at, v)
}

// A new process recording tonight's snapshot replays the previous snapshot's pass beside
// tonight's, and the comparison uses that replay instead of walking the store again.
func TestRecordSnapshotReplaysThePreviousBeside(t *testing.T) {
	svc, s := seeded(t)
	ctx := t.Context()
	a, _, err := svc.RecordSnapshot(ctx, 20170901, 0)
	if err != nil {
		t.Fatal(err)
	}
	o := &overlapStore{Store: s.(*embedded.Store), hold: 20171231, other: make(chan struct{})}
	next := service.New(o, risk.DefaultModel()) // nothing of the first run cached
	b, prev, err := next.RecordSnapshot(ctx, 20171231, 0)
	if err != nil {
		t.Fatal(err)
	}
	if prev == nil || prev.ID != a.ID {
		t.Fatalf("compared with %v, want %s", prev, a.ID)
	}
	select {
	case <-o.other:
	default:
		t.Fatalf("tonight's walk ran without the previous snapshot's beside it; walked %v", o.walked)
	}
	got := changesOf(t, next, a.ID, b.ID)
	if want := changesOf(t, svc, a.ID, b.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("changes with the replay started early differ from a service that replayed it itself:\n%v\nwant\n%v", got, want)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	want := []store.At{{AsOf: a.AsOf, KnownAt: a.KnownAt}, {AsOf: b.AsOf, KnownAt: b.KnownAt}}
	if !reflect.DeepEqual(slices.SortedFunc(slices.Values(o.walked), func(x, y store.At) int { return cmp.Compare(x.AsOf, y.AsOf) }), want) {
		t.Errorf("walked %v, want each snapshot's moment once: %v", o.walked, want)
	}
}

// TestForgetKeepsAnswers: after Forget drops the kept passes, snapshots and comparisons, the
// service answers as before, computing again what it needs.
func TestForgetKeepsAnswers(t *testing.T) {
	svc, _ := seeded(t)
	ctx := t.Context()
	from, _, err := svc.RecordSnapshot(ctx, 20170901, 0)
	if err != nil {
		t.Fatal(err)
	}
	to, _, err := svc.RecordSnapshot(ctx, 20171231, 0)
	if err != nil {
		t.Fatal(err)
	}
	kept := func(id string) bool { return slices.Contains(service.DecodedSnapshots(svc), id) }
	// As the report reads: the changes, then tonight's scores.
	read := func() ([]report.Score, []report.Change) {
		t.Helper()
		var scores []report.Score
		var changes []report.Change
		err := svc.SnapshotChanges(ctx, from.ID, to.ID, 0.01, func(_ kg.Dimension, cs []report.Change) error {
			changes = append(changes, cs...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Both nights' passes go once the changes are explained, and so do the previous
		// snapshot's rows; the new one's wait for the report, which takes them.
		if n := service.KeptPasses(svc); n != 0 {
			t.Errorf("after SnapshotChanges the service keeps %d passes, want none", n)
		}
		if kept(from.ID) || !kept(to.ID) {
			t.Errorf("after SnapshotChanges the service keeps the rows of the previous snapshot: %v, of the new one: %v (want false, true)",
				kept(from.ID), kept(to.ID))
		}
		err = svc.SnapshotScores(ctx, to.ID, func(_ kg.Dimension, sc []report.Score) error {
			scores = append(scores, sc...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if kept(to.ID) {
			t.Error("after SnapshotScores handed them over the service still keeps the rows of the snapshot")
		}
		return scores, changes
	}
	scores, changes := read()
	if len(scores) == 0 || len(changes) == 0 {
		t.Fatalf("the seed has %d scores and %d changes from 2017-09-01 to 2017-12-31, want some of each", len(scores), len(changes))
	}
	svc.Forget()
	again, changedAgain := read()
	if !reflect.DeepEqual(scores, again) || !reflect.DeepEqual(changes, changedAgain) {
		t.Errorf("after Forget: %d scores and %d changes, not the %d and %d of before", len(again), len(changedAgain), len(scores), len(changes))
	}
}

// TestQualityListKeepsTheFirst: a full list still takes a fact that comes before its last
// (by group, then id), whatever order facts come in, and counts every fact it turns away.
func TestQualityListKeepsTheFirst(t *testing.T) {
	var facts []service.QualityFact
	for i := range report.QualityListMax {
		facts = append(facts, service.QualityFact{Group: 1, ID: fmt.Sprintf("r%04d", 100+i)})
	}
	facts = append(facts,
		service.QualityFact{Group: 2, ID: "a"},     // after them all: turned away
		service.QualityFact{Group: 1, ID: "r0050"}, // before them all, in the same group
		service.QualityFact{Group: 0, ID: "z"},     // in an earlier group
	)
	ids, n := service.ListQuality(facts)
	if n != len(facts) || len(ids) != report.QualityListMax || ids[0] != "z" || ids[1] != "r0050" || ids[2] != "r0100" || slices.Contains(ids, "a") {
		t.Errorf("counted %d of %d; listed %d, starting %v", n, len(facts), len(ids), ids[:min(3, len(ids))])
	}
}
