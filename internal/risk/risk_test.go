package risk

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"riskgraph/internal/kg"
)

func cite(src, text string) []kg.Citation { return []kg.Citation{{SourceID: src, Excerpt: text}} }

// kasperskyCase is the seed story in miniature, with the default model.
func kasperskyCase() kg.Snapshot {
	ent := func(k kg.Kind, slug string) kg.Entity {
		return kg.Entity{ID: k.IDPrefix() + slug, Kind: k, Name: slug}
	}
	return kg.Snapshot{
		Entities: []kg.Entity{
			ent(kg.KindGovernment, "russia"), ent(kg.KindLaw, "40-fz"), ent(kg.KindVendor, "kaspersky-lab"),
			ent(kg.KindProduct, "kaspersky-anti-virus"), ent(kg.KindRetailer, "best-buy"),
			ent(kg.KindOrganization, "us-federal-agency"), ent(kg.KindSource, "bod-17-01"),
		},
		Relationships: []kg.Relationship{
			{Type: kg.RelEnacted, From: "government:russia", To: "law:40-fz", Confidence: 1},
			{Type: kg.RelAppliesTo, From: "law:40-fz", To: "vendor:kaspersky-lab", Confidence: 0.6, Inferred: true,
				Sources: cite("source:bod-17-01", "Russian law can compel Kaspersky to assist its intelligence services")},
			{Type: kg.RelHeadquarteredIn, From: "vendor:kaspersky-lab", To: "government:russia", Confidence: 1},
			{Type: kg.RelMakes, From: "vendor:kaspersky-lab", To: "product:kaspersky-anti-virus", Confidence: 1},
			{Type: kg.RelSells, From: "retailer:best-buy", To: "product:kaspersky-anti-virus", Confidence: 1,
				Validity: kg.Validity{To: 20170908}},
			{Type: kg.RelDelisted, From: "retailer:best-buy", To: "product:kaspersky-anti-virus", Confidence: 1,
				Validity: kg.Validity{From: 20170908}},
			{Type: kg.RelUses, From: "organization:us-federal-agency", To: "product:kaspersky-anti-virus", Confidence: 1},
		},
		Signals: []kg.RiskSignal{
			{ID: "signal:russia-intel", EntityID: "government:russia", Dimension: kg.DimForeignInfluence, Severity: 0.9,
				Sources: cite("source:bod-17-01", "Russian intelligence services may exploit access")},
		},
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestKasperskyChainByHand(t *testing.T) {
	m := engineModel(t)
	fi := kg.DimForeignInfluence

	// One source, signal:russia-intel (0.9 on Russia). Default factors (weight × confidence):
	//   HEADQUARTERED_IN against 0.9×1 = 0.9; ENACTED along 0.9×1 = 0.9;
	//   APPLIES_TO along 0.9×0.6 = 0.54; MAKES along 0.9; SELLS against 0.5; USES against 0.8.
	// Kaspersky: via its seat 0.9×0.9 = 0.81 (1 hop); via 40-FZ 0.9×0.9×0.54 = 0.4374. Best: 0.81.
	// Product:   0.81×0.9 = 0.729 (2 hops).
	// Best Buy:  0.729×0.5 = 0.3645 (3 hops), while it still sold the product.
	// Agency:    0.729×0.8 = 0.5832 (3 hops).
	// 126-FZ also applies to Kaspersky (inferred, 0.5): 0.9 × 0.9 × 0.45 = 0.3645, the same
	// source again by a weaker chain, so it changes nothing.
	s := kasperskyCase()
	s.AsOf = 20170901
	s.Entities = append(s.Entities, kg.Entity{ID: "law:126-fz", Kind: kg.KindLaw, Name: "126-FZ"})
	s.Relationships = append(s.Relationships,
		kg.Relationship{Type: kg.RelEnacted, From: "government:russia", To: "law:126-fz"},
		kg.Relationship{Type: kg.RelAppliesTo, From: "law:126-fz", To: "vendor:kaspersky-lab", Confidence: 0.5, Inferred: true})
	one := map[string]float64{
		"government:russia": 0.9, "law:40-fz": 0.81, "vendor:kaspersky-lab": 0.81,
		"product:kaspersky-anti-virus": 0.729, "retailer:best-buy": 0.3645,
		"organization:us-federal-agency": 0.5832,
	}
	r := run(t, m, s)
	for id, want := range one {
		if got := mustScore(t, r, id, fi); !near(got.Score, want) {
			t.Errorf("one source: %s = %v, want %v", id, got.Score, want)
		}
	}

	// A second source on the law itself, signal:40-fz-compulsion (0.7), reaches Kaspersky with
	// 0.7×0.54 = 0.378. Two independent sources combine as 1 − (1−a)(1−b):
	//   Kaspersky: 1 − 0.19×0.622       = 0.88182
	//   Product:   0.729 and 0.378×0.9 = 0.3402 → 1 − 0.271×0.6598   = 0.8211942
	//   Best Buy:  0.3645 and 0.1701            → 1 − 0.6355×0.8299  = 0.47259855
	//   Agency:    0.5832 and 0.27216           → 1 − 0.4168×0.72784 = 0.696636288
	s.Signals = append(s.Signals, kg.RiskSignal{ID: "signal:40-fz-compulsion", EntityID: "law:40-fz",
		Dimension: fi, Severity: 0.7})
	two := map[string]float64{
		"vendor:kaspersky-lab": 0.88182, "product:kaspersky-anti-virus": 0.8211942,
		"retailer:best-buy": 0.47259855, "organization:us-federal-agency": 0.696636288,
	}
	r = run(t, m, s)
	for id, want := range two {
		if got := mustScore(t, r, id, fi); !near(got.Score, want) {
			t.Errorf("two sources: %s = %v, want %v", id, got.Score, want)
		}
	}
	law := mustScore(t, r, "law:40-fz", fi) // 0.7 of its own, 0.81 from Russia
	if !near(law.Score, 1-0.3*0.19) || !near(law.Intrinsic, 0.7) || !near(law.Propagated, law.Score-0.7) {
		t.Errorf("law: %+v", law)
	}

	// The agency's explanation: both chains, with citations at the inferred step.
	x, err := r.Explain("organization:us-federal-agency", fi)
	if err != nil {
		t.Fatal(err)
	}
	checkExplanation(t, m, x.EntityID, x)
	if len(x.Contributions) != 2 {
		t.Fatalf("contributions: %+v", x.Contributions)
	}
	var path []string
	for _, l := range x.Contributions[1].Chain {
		path = append(path, l.From+" "+string(l.Type)+" "+string(l.Flow))
	}
	wantPath := []string{
		"law:40-fz APPLIES_TO ALONG",
		"vendor:kaspersky-lab MAKES ALONG",
		"product:kaspersky-anti-virus USES AGAINST",
	}
	if !slices.Equal(path, wantPath) {
		t.Errorf("chain of the law's signal: %v, want %v", path, wantPath)
	}
	if l := x.Contributions[1].Chain[0]; !l.Inferred || len(l.Sources) != 1 || l.Confidence != 0.6 {
		t.Errorf("inferred step lost its provenance: %+v", l)
	}
	if len(x.Contributions[0].Chain) != 3 || x.Contributions[0].Signal.Sources == nil {
		t.Errorf("Russia's chain: %+v", x.Contributions[0])
	}

	// After 2017-09-08 Best Buy has delisted the product: DELISTED carries nothing.
	// Regulatory from 2017-09-13: BOD 17-01 (0.9) TARGETS Kaspersky and the product and BINDS
	// the agency, weight 1 each: all three 0.9. The agency's second route through the product
	// (0.9 × 1 × 0.8 = 0.72) is the same source, weaker, so it stays 0.9.
	s.AsOf = 20171001
	s.Entities = append(s.Entities, kg.Entity{ID: "directive:bod-17-01", Kind: kg.KindDirective, Name: "BOD 17-01"})
	s.Relationships = append(s.Relationships,
		kg.Relationship{Type: kg.RelTargets, From: "directive:bod-17-01", To: "vendor:kaspersky-lab"},
		kg.Relationship{Type: kg.RelTargets, From: "directive:bod-17-01", To: "product:kaspersky-anti-virus"},
		kg.Relationship{Type: kg.RelBinds, From: "directive:bod-17-01", To: "organization:us-federal-agency"})
	s.Signals = append(s.Signals, kg.RiskSignal{ID: "signal:bod-17-01", EntityID: "directive:bod-17-01",
		Dimension: kg.DimRegulatory, Severity: 0.9, Validity: kg.Validity{From: 20170913}})
	r = run(t, m, s)
	if got := mustScore(t, r, "retailer:best-buy", fi); got.Score != 0 {
		t.Errorf("Best Buy after delisting: %v, want 0", got.Score)
	}
	for id, want := range map[string]float64{"vendor:kaspersky-lab": 0.9, "product:kaspersky-anti-virus": 0.9,
		"organization:us-federal-agency": 0.9, "retailer:best-buy": 0, "government:russia": 0} {
		if got := mustScore(t, r, id, kg.DimRegulatory); !near(got.Score, want) {
			t.Errorf("regulatory: %s = %v, want %v", id, got.Score, want)
		}
	}
	s.AsOf = 20170910 // before the directive
	if got := mustScore(t, run(t, m, s), "organization:us-federal-agency", kg.DimRegulatory); got.Score != 0 {
		t.Errorf("regulatory before BOD 17-01: %v", got.Score)
	}
}

func TestCycleDoesNotEcho(t *testing.T) {
	// Kaspersky is headquartered in Russia and (say) Russia's state fund owns it: two routes
	// in a loop. Russia's own 0.9 must stay 0.9; Kaspersky takes the better route only.
	s := kasperskyCase()
	s.Entities = append(s.Entities, kg.Entity{ID: "vendor:holding", Kind: kg.KindVendor, Name: "h"})
	s.Relationships = append(s.Relationships,
		kg.Relationship{Type: kg.RelOwnedBy, From: "vendor:kaspersky-lab", To: "vendor:holding"},
		kg.Relationship{Type: kg.RelOwnedBy, From: "vendor:holding", To: "vendor:kaspersky-lab"})
	r := run(t, engineModel(t), s)
	for id, want := range map[string]float64{"government:russia": 0.9, "vendor:kaspersky-lab": 0.81, "vendor:holding": 0.81} {
		if got := mustScore(t, r, id, kg.DimForeignInfluence).Score; !near(got, want) {
			t.Errorf("%s = %v, want %v", id, got, want)
		}
	}
}

func TestHopCapCutsLongChains(t *testing.T) {
	// Russia → law → Kaspersky → product → agency is 4 hops via the law; cap 2 stops at the product.
	s := kasperskyCase()
	g, err := Compile(engineModel(t), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		hops        int
		agency, prd float64
	}{{1, 0, 0}, {2, 0, 0.729}, {3, 0.5832, 0.729}} {
		r, err := g.Run(context.Background(), Options{MaxHops: tt.hops})
		if err != nil {
			t.Fatal(err)
		}
		if a := mustScore(t, r, "organization:us-federal-agency", kg.DimForeignInfluence).Score; !near(a, tt.agency) {
			t.Errorf("%d hops: agency %v, want %v", tt.hops, a, tt.agency)
		}
		if p := mustScore(t, r, "product:kaspersky-anti-virus", kg.DimForeignInfluence).Score; !near(p, tt.prd) {
			t.Errorf("%d hops: product %v, want %v", tt.hops, p, tt.prd)
		}
	}
	if _, err := g.Run(context.Background(), Options{MaxHops: 5}); !errors.Is(err, kg.ErrInvalid) {
		t.Errorf("maxHops above the cap: %v", err)
	}
}

func TestRankingOrder(t *testing.T) {
	s := kasperskyCase()
	s.AsOf = 20170901
	s.Entities = append(s.Entities, kg.Entity{ID: "retailer:amazon", Kind: kg.KindRetailer, Name: "a"})
	s.Relationships = append(s.Relationships, kg.Relationship{Type: kg.RelSells, From: "retailer:amazon", To: "product:kaspersky-anti-virus"})
	r := run(t, engineModel(t), s)
	rank, err := r.Ranking(kg.DimForeignInfluence, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range rank {
		ids = append(ids, x.EntityID)
	}
	want := []string{"government:russia", "law:40-fz", "vendor:kaspersky-lab", "product:kaspersky-anti-virus",
		"organization:us-federal-agency", "retailer:amazon", "retailer:best-buy"}
	if !slices.Equal(ids, want) {
		t.Errorf("ranking %v, want %v (ties by id)", ids, want)
	}
	page, _ := r.Ranking(kg.DimForeignInfluence, 5, 1)
	if len(page) != 1 || page[0].EntityID != "retailer:amazon" {
		t.Errorf("page: %+v", page)
	}
	if n := r.Reached(kg.DimForeignInfluence); n != len(want) {
		t.Errorf("reached %d", n)
	}
}

func TestDefaultModel(t *testing.T) {
	m := DefaultModel()
	if m.Version() == "" || m.HopCap() != 6 || m.TopK() != 8 {
		t.Errorf("default model: %q hop cap %d top-k %d", m.Version(), m.HopCap(), m.TopK())
	}
	cases := []struct {
		t kg.RelType
		d kg.Dimension
		f Flow
		w float64
	}{
		{kg.RelHeadquarteredIn, kg.DimForeignInfluence, Against, 0.5},
		{kg.RelAppliesTo, kg.DimForeignInfluence, Along, 1},
		{kg.RelHeadquarteredIn, kg.DimForeignInfluence, Along, 0},
		{kg.RelOwnedBy, kg.DimSanctions, Against, 1},
		{kg.RelTargets, kg.DimRegulatory, Along, 1},
		{kg.RelDelisted, kg.DimForeignInfluence, Against, 0},
		{kg.RelStatedBy, kg.DimReputational, Along, 0},
	}
	for _, c := range cases {
		if got := m.Weight(c.t, c.d, c.f); got != c.w {
			t.Errorf("%s %s %s = %v, want %v", c.t, c.d, c.f, got, c.w)
		}
	}
	steps := m.UpstreamSteps(kg.DimForeignInfluence)
	for _, want := range []Step{{kg.RelHeadquarteredIn, kg.Out}, {kg.RelEnacted, kg.In}, {kg.RelUses, kg.Out}, {kg.RelMakes, kg.In}} {
		if !slices.Contains(steps, want) {
			t.Errorf("upstream steps %v lack %v", steps, want)
		}
	}
	for _, bad := range []Step{{kg.RelDelisted, kg.Out}, {kg.RelStatedBy, kg.In}, {kg.RelHeadquarteredIn, kg.In}} {
		if slices.Contains(steps, bad) {
			t.Errorf("upstream steps %v contain %v", steps, bad)
		}
	}
}

func TestParseModelRejects(t *testing.T) {
	tests := []struct{ name, json, msg string }{
		{"not json", `{`, "not a risk model"},
		{"no version", `{"rules": []}`, "version"},
		{"hop cap 0", `{"version": "v", "hopCap": 0}`, "hop cap 0"},
		{"hop cap 7", `{"version": "v", "hopCap": 7}`, "hop cap 7"},
		{"top-k", `{"version": "v", "topK": 0}`, "topK"},
		{"unknown field", `{"version": "v", "hops": 3}`, "unknown field"},
		{"unknown type", `{"version": "v", "rules": [{"type": "LIKES", "flow": "ALONG", "weights": {}}]}`, `unknown relationship type "LIKES"`},
		{"unknown flow", `{"version": "v", "rules": [{"type": "MAKES", "flow": "UP", "weights": {}}]}`, `unknown flow "UP"`},
		{"unknown dimension", `{"version": "v", "rules": [{"type": "MAKES", "flow": "ALONG", "weights": {"LUCK": 1}}]}`, `unknown dimension "LUCK"`},
		{"weight high", `{"version": "v", "rules": [{"type": "MAKES", "flow": "ALONG", "weights": {"SANCTIONS": 1.5}}]}`, "must be in [0,1]"},
		{"weight negative", `{"version": "v", "rules": [{"type": "MAKES", "flow": "ALONG", "weights": {"SANCTIONS": -0.1}}]}`, "must be in [0,1]"},
		{"twice", `{"version": "v", "rules": [{"type": "MAKES", "flow": "ALONG", "weights": {"SANCTIONS": 1}},
			{"type": "MAKES", "flow": "ALONG", "weights": {"SANCTIONS": 0.5}}]}`, "already has a SANCTIONS weight"},
		{"trailing", `{"version": "v"} {}`, "after the model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseModel([]byte(tt.json))
			if err == nil || !errors.Is(err, kg.ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("ParseModel = %v, want an invalid-input error mentioning %q", err, tt.msg)
			}
		})
	}
}

func TestLoadModel(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.json")
	if err := os.WriteFile(p, []byte(`{"version": "mine/2", "hopCap": 6, "rules": [{"type": "MAKES", "flow": "ALONG", "weights": {"SANCTIONS": 0.5}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() != "mine/2" || m.HopCap() != 6 || m.TopK() != DefaultTopK || m.Weight(kg.RelMakes, kg.DimSanctions, Along) != 0.5 {
		t.Errorf("loaded %+v", m)
	}
	if _, err := LoadModel(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "load risk model") {
		t.Errorf("missing file: %v", err)
	}
}

func TestCompileRejects(t *testing.T) {
	base := kasperskyCase()
	tests := []struct {
		name string
		edit func(*kg.Snapshot)
		msg  string
	}{
		{"entity twice", func(s *kg.Snapshot) { s.Entities = append(s.Entities, s.Entities[0]) }, "appears twice"},
		{"relationship twice", func(s *kg.Snapshot) { s.Relationships = append(s.Relationships, s.Relationships[0]) }, "appears twice"},
		{"signal twice", func(s *kg.Snapshot) { s.Signals = append(s.Signals, s.Signals[0]) }, "appears twice"},
		{"bad severity", func(s *kg.Snapshot) { s.Signals[0].Severity = 2 }, "severity"},
		{"bad confidence", func(s *kg.Snapshot) { s.Relationships[0].Confidence = 1.5 }, "confidence"},
		{"bad type", func(s *kg.Snapshot) { s.Relationships[0].Type = "LIKES" }, "LIKES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shuffled(base, 1)
			tt.edit(&s)
			if _, err := Compile(DefaultModel(), s); !errors.Is(err, kg.ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Compile = %v, want invalid input mentioning %q", err, tt.msg)
			}
		})
	}
}

func TestRunForAnswersOnlyItsEntity(t *testing.T) {
	g, err := Compile(engineModel(t), kasperskyCase())
	if err != nil {
		t.Fatal(err)
	}
	r, err := g.RunFor(context.Background(), "vendor:kaspersky-lab", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := mustScore(t, r, "vendor:kaspersky-lab", kg.DimForeignInfluence); !near(s.Score, 0.81) {
		t.Errorf("kaspersky %v", s.Score)
	}
	if _, err := r.Score("government:russia", kg.DimForeignInfluence); err == nil {
		t.Error("a one-entity result answered for another entity")
	}
	if _, err := g.RunFor(context.Background(), "vendor:nobody", Options{}); !errors.Is(err, kg.ErrInvalid) {
		t.Errorf("unknown entity: %v", err)
	}
}

// A pass whose context has ended stops with the context's error.
func TestRunStopsWithItsContext(t *testing.T) {
	g, err := Compile(DefaultModel(), kg.Snapshot{Entities: []kg.Entity{{ID: "government:ru", Kind: kg.KindGovernment, Name: "RU"}},
		Signals: []kg.RiskSignal{{ID: "signal:ru", EntityID: "government:ru", Dimension: kg.DimSanctions, Severity: 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := g.Run(ctx, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with an ended context: %v", err)
	}
	if _, err := g.RunFor(ctx, "government:ru", Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("RunFor with an ended context: %v", err)
	}
}
