package service_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/seed"
)

func seeded(t *testing.T) (*service.Service, store.Store) {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(s, risk.DefaultModel())
	t.Cleanup(func() { svc.Close() })
	if _, err := seed.Apply(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	return svc, s
}

func TestRankingPagesWithoutGapsOrRepeats(t *testing.T) {
	ctx := t.Context()
	svc, _ := seeded(t)
	q := service.RankingQuery{Dimension: kg.DimRegulatory, At: service.AsOf(20171001), Page: store.Page{First: 1000}}
	all, err := svc.Ranking(ctx, q)
	if err != nil || len(all.Items) < 5 {
		t.Fatalf("full ranking: %d items, %v", len(all.Items), err)
	}
	var paged []string
	q.Page = store.Page{First: 2}
	for i := 0; ; i++ {
		p, err := svc.Ranking(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rank != len(paged)+1 {
			t.Errorf("page %d starts at rank %d, want %d", i, p.Rank, len(paged)+1)
		}
		for _, sc := range p.Items {
			paged = append(paged, sc.EntityID)
		}
		if !p.HasNext {
			break
		}
		q.Page.After = p.EndCursor
	}
	if len(paged) != len(all.Items) {
		t.Fatalf("paged %d entities, the full ranking has %d", len(paged), len(all.Items))
	}
	for i, sc := range all.Items {
		if paged[i] != sc.EntityID {
			t.Errorf("rank %d: paged %s, full %s", i+1, paged[i], sc.EntityID)
		}
		if i > 0 && sc.Score > all.Items[i-1].Score {
			t.Errorf("ranking not highest first at %d", i)
		}
	}
	orgs, err := svc.Ranking(ctx, service.RankingQuery{Dimension: kg.DimRegulatory, Kind: kg.KindOrganization, At: service.AsOf(20171001)})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range orgs.Items {
		if k, _ := kg.KindOfID(sc.EntityID); k != kg.KindOrganization {
			t.Errorf("kind filter let %s through", sc.EntityID)
		}
	}
	if _, err := svc.Ranking(ctx, service.RankingQuery{Dimension: kg.DimRegulatory, Page: store.Page{After: "junk"}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad cursor: %v", err)
	}
}

// A write must be visible in the next ranking: the cached whole-graph pass is dropped.
func TestRankingSeesWrites(t *testing.T) {
	ctx := t.Context()
	svc, _ := seeded(t)
	rank := func() float64 {
		p, err := svc.Ranking(ctx, service.RankingQuery{Dimension: kg.DimSanctions, Kind: kg.KindRetailer, At: service.AsOf(20250101)})
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range p.Items {
			if sc.EntityID == "retailer:amazon" {
				return sc.Score
			}
		}
		return 0
	}
	before := rank()
	_, err := svc.Apply(ctx, kg.Batch{Signals: []kg.RiskSignal{{ID: "signal:test-amazon-sanctioned", EntityID: "retailer:amazon",
		Dimension: kg.DimSanctions, Severity: 0.9, Reason: "a test", Validity: kg.Validity{From: 20240101}}}})
	if err != nil {
		t.Fatal(err)
	}
	if after := rank(); after <= before || after < 0.9 {
		t.Errorf("Amazon's sanctions score %v → %v after a 0.9 signal; the cached pass was not refreshed", before, after)
	}
}

func TestExposureHopsAndMissing(t *testing.T) {
	ctx := t.Context()
	svc, _ := seeded(t)
	_, err := svc.Exposures(ctx, service.ExposureQuery{IDs: []string{"retailer:best-buy"}, MaxHops: 7})
	if !errors.Is(err, store.ErrLimit) {
		t.Errorf("7 hops with a 6-hop model: %v, want a limit error", err)
	}
	got, err := svc.Exposures(ctx, service.ExposureQuery{IDs: []string{"retailer:best-buy", "vendor:nobody"}, At: service.AsOf(20170901),
		Dimensions: []kg.Dimension{kg.DimForeignInfluence}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["vendor:nobody"]; ok || len(got["retailer:best-buy"]) != 1 || got["retailer:best-buy"][0].Score <= 0 {
		t.Errorf("exposures: %+v", got)
	}
	short, err := svc.Exposures(ctx, service.ExposureQuery{IDs: []string{"retailer:best-buy"}, At: service.AsOf(20170901), MaxHops: 1,
		Dimensions: []kg.Dimension{kg.DimForeignInfluence}})
	if err != nil {
		t.Fatal(err)
	}
	if s := short["retailer:best-buy"][0].Score; s != 0 {
		t.Errorf("one hop from Best Buy reaches only the product, which has no foreign-influence signal; score %v", s)
	}
}

func TestComplianceOverTime(t *testing.T) {
	ctx := t.Context()
	svc, _ := seeded(t)
	status := func(at kg.Date) map[string]service.ComplianceStatus {
		c, err := svc.Compliance(ctx, "directive:bod-17-01", service.AsOf(at))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]service.ComplianceStatus{}
		for _, p := range c.Parties {
			out[p.PartyID] = p.Status
		}
		return out
	}
	const agencies = "organization:us-federal-agencies"
	for _, tc := range []struct {
		at   kg.Date
		want service.ComplianceStatus
	}{
		{20170101, service.NotInForce},    // before the directive: its parties, not yet bound
		{20171001, service.Pending},       // bound, still using the product, deadlines ahead
		{20171220, service.NotApplicable}, // the seed ends federal use on the removal date
	} {
		if got := status(tc.at)[agencies]; got != tc.want {
			t.Errorf("%s on %s: %s, want %s", agencies, tc.at, got, tc.want)
		}
	}
	// A department that keeps using the product past the last deadline is overdue.
	const state = "organization:us-department-of-state"
	_, err := svc.Apply(ctx, kg.Batch{Relationships: []kg.Relationship{{Type: kg.RelUses, From: state,
		To: "product:kaspersky-anti-virus", Confidence: 0.3, Inferred: true, Validity: kg.Validity{From: 20171212}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := status(20171220)[state]; got != service.Overdue {
		t.Errorf("%s still using the product on 2017-12-20: %s, want OVERDUE", state, got)
	}
	if _, err := svc.Compliance(ctx, "directive:no-such-rule", service.AsOf(20171001)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a directive never recorded: %v, want ErrNotFound", err)
	}
	if _, err := svc.Compliance(ctx, "vendor:kaspersky-lab", service.AsOf(20171001)); !errors.Is(err, kg.ErrInvalid) {
		t.Errorf("a vendor is not a directive: %v, want ErrInvalid", err)
	}
}

// A whole-graph pass is shared: a caller that gives up stops only its own wait, and the pass
// goes on for the next caller (it does not run under the first caller's context).
func TestWholePassOutlivesAnImpatientCaller(t *testing.T) {
	svc, _ := seeded(t)
	q := service.RankingQuery{Dimension: kg.DimRegulatory, At: service.AsOf(20171001)}
	impatient, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := svc.Ranking(impatient, q); !errors.Is(err, context.Canceled) {
		t.Errorf("ranking for a caller that gave up: %v, want context.Canceled", err)
	}
	p, err := svc.Ranking(t.Context(), q)
	if err != nil || len(p.Items) == 0 {
		t.Fatalf("ranking for the next caller: %+v, %v", p, err)
	}
}

// Evidence of compliance is an editor's write, recorded under the caller's name.
func TestRecordComplianceNeedsAnEditor(t *testing.T) {
	svc, _ := seeded(t)
	const party, obligation = "organization:us-department-of-energy", "directive:bod-17-01#identify"
	cite := []kg.Citation{{SourceID: "source:dhs-bod-17-01-2017-09-13", Excerpt: "a test"}}
	reader := service.WithCaller(t.Context(), service.Caller{Name: "analyst", Role: service.RoleReader})
	if _, err := svc.RecordCompliance(reader, party, obligation, 20171010, cite, ""); !errors.Is(err, service.ErrForbidden) {
		t.Fatalf("a reader recording evidence: %v, want ErrForbidden", err)
	}
	editor := service.WithCaller(t.Context(), service.Caller{Name: "loader", Role: service.RoleEditor})
	if _, err := svc.RecordCompliance(editor, party, "directive:bod-17-01", 20171010, cite, ""); !errors.Is(err, kg.ErrInvalid) {
		t.Errorf("an obligation id without #: %v, want ErrInvalid", err)
	}
	res, err := svc.RecordCompliance(editor, party, obligation, 20171010, cite, "")
	if err != nil {
		t.Fatal(err)
	}
	h, err := svc.History(t.Context(), res.Created[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Relationships) != 1 || h.Relationships[0].Version.RecordedBy != "loader" {
		t.Errorf("the evidence's history: %+v, want one version recorded by loader", h.Relationships)
	}
}

// Callers asking for more distinct dates at once than the pass cache holds all get an
// answer: evicting a pending pass must not fail the callers already waiting for it.
func TestRankingManyDatesAtOnce(t *testing.T) {
	ctx := t.Context()
	svc, _ := seeded(t)
	const dates = 16
	errs := make(chan error, 2*dates)
	for i := range 2 * dates {
		go func() {
			q := service.RankingQuery{Dimension: kg.DimRegulatory, At: service.AsOf(kg.Date(20100101 + (i%dates)*10000)), Page: store.Page{First: 5}}
			_, err := svc.Ranking(ctx, q)
			errs <- err
		}()
	}
	for range 2 * dates {
		if err := <-errs; err != nil {
			t.Errorf("ranking: %v", err)
		}
	}
}
