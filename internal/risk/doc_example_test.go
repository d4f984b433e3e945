package risk

import (
	"bufio"
	"context"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"riskgraph/internal/kg"
)

// docExampleCase is the snapshot of the worked example in docs/risk-model.md: the Kaspersky
// case in miniature with a second Russian law, 126-FZ, that applies to Kaspersky with less
// confidence than 40-FZ.
func docExampleCase() kg.Snapshot {
	s := kasperskyCase()
	s.Entities = append(s.Entities, kg.Entity{ID: "law:126-fz", Kind: kg.KindLaw, Name: "126-FZ"})
	s.Relationships = append(s.Relationships,
		kg.Relationship{Type: kg.RelEnacted, From: "government:russia", To: "law:126-fz", Confidence: 1},
		kg.Relationship{Type: kg.RelAppliesTo, From: "law:126-fz", To: "vendor:kaspersky-lab", Confidence: 0.5, Inferred: true})
	return s
}

// chainPath spells a chain as entity, type, entity, type, …, entity.
func chainPath(c []Link) []string {
	if len(c) == 0 {
		return nil
	}
	out := []string{c[0].From}
	for _, l := range c {
		out = append(out, string(l.Type), l.To)
	}
	return out
}

// TestWorkedExampleMatchesDoc holds the default model to every number of the worked example
// in docs/risk-model.md. When the default weights change, the doc and this test change together.
func TestWorkedExampleMatchesDoc(t *testing.T) {
	const tol = 1e-9
	m := DefaultModel()
	fi := kg.DimForeignInfluence

	// The law route, Russia → 40-FZ → Kaspersky → anti-virus → agency.
	lawRoute := []string{
		"government:russia", "ENACTED", "law:40-fz", "APPLIES_TO", "vendor:kaspersky-lab",
		"MAKES", "product:kaspersky-anti-virus", "USES", "organization:us-federal-agency",
	}
	// The seat route, Russia → Kaspersky → anti-virus → agency.
	seatRoute := []string{
		"government:russia", "HEADQUARTERED_IN", "vendor:kaspersky-lab",
		"MAKES", "product:kaspersky-anti-virus", "USES", "organization:us-federal-agency",
	}
	// The law's own signal, 40-FZ → Kaspersky → anti-virus → agency.
	lawSignalRoute := lawRoute[2:]

	type contrib struct {
		signal          string
		strength, share float64
		path            []string // nil for the entity's own signal
	}
	type want struct {
		id               string
		dim              kg.Dimension
		score, intrinsic float64
		contribs         []contrib // checked when set: the explanation, in order
	}
	tests := []struct {
		name    string
		asOf    kg.Date
		maxHops int
		lawSig  bool // add signal:40-fz-compulsion
		bod     bool // add BOD 17-01 and its regulatory signal
		want    []want
	}{
		{
			name: "one source", asOf: 20170901,
			want: []want{
				{id: "government:russia", dim: fi, score: 0.9, intrinsic: 0.9},
				{id: "law:40-fz", dim: fi, score: 0.9},
				{id: "law:126-fz", dim: fi, score: 0.9},
				{id: "vendor:kaspersky-lab", dim: fi, score: 0.54, contribs: []contrib{
					{"signal:russia-intel", 0.54, 0.54, lawRoute[:5]}}},
				{id: "product:kaspersky-anti-virus", dim: fi, score: 0.486},
				{id: "retailer:best-buy", dim: fi, score: 0.243},
				{id: "organization:us-federal-agency", dim: fi, score: 0.3888, contribs: []contrib{
					{"signal:russia-intel", 0.3888, 0.3888, lawRoute}}},
			},
		},
		{
			name: "one source, three hops", asOf: 20170901, maxHops: 3,
			want: []want{
				{id: "vendor:kaspersky-lab", dim: fi, score: 0.54},
				{id: "organization:us-federal-agency", dim: fi, score: 0.324, contribs: []contrib{
					{"signal:russia-intel", 0.324, 0.324, seatRoute}}},
			},
		},
		{
			name: "two sources", asOf: 20170901, lawSig: true,
			want: []want{
				{id: "law:40-fz", dim: fi, score: 0.97, intrinsic: 0.7, contribs: []contrib{
					{"signal:40-fz-compulsion", 0.7, 0.7, nil},
					{"signal:russia-intel", 0.9, 0.27, []string{"government:russia", "ENACTED", "law:40-fz"}}}},
				{id: "vendor:kaspersky-lab", dim: fi, score: 0.7332},
				{id: "product:kaspersky-anti-virus", dim: fi, score: 0.680292},
				{id: "retailer:best-buy", dim: fi, score: 0.386073},
				{id: "organization:us-federal-agency", dim: fi, score: 0.57362688, contribs: []contrib{
					{"signal:russia-intel", 0.3888, 0.3888, lawRoute},
					{"signal:40-fz-compulsion", 0.3024, 0.18482688, lawSignalRoute}}},
			},
		},
		{
			name: "after delisting, with BOD 17-01", asOf: 20171001, lawSig: true, bod: true,
			want: []want{
				{id: "retailer:best-buy", dim: fi, score: 0},
				{id: "vendor:kaspersky-lab", dim: kg.DimRegulatory, score: 0.9},
				{id: "product:kaspersky-anti-virus", dim: kg.DimRegulatory, score: 0.9},
				{id: "organization:us-federal-agency", dim: kg.DimRegulatory, score: 0.72, contribs: []contrib{
					{"signal:bod-17-01", 0.72, 0.72, []string{"directive:bod-17-01", "TARGETS", "product:kaspersky-anti-virus", "USES", "organization:us-federal-agency"}}}},
			},
		},
		{
			name: "before BOD 17-01", asOf: 20170910, lawSig: true, bod: true,
			want: []want{
				{id: "organization:us-federal-agency", dim: kg.DimRegulatory, score: 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := docExampleCase()
			s.AsOf = tt.asOf
			if tt.lawSig {
				s.Signals = append(s.Signals, kg.RiskSignal{ID: "signal:40-fz-compulsion", EntityID: "law:40-fz",
					Dimension: fi, Severity: 0.7})
			}
			if tt.bod {
				s.Entities = append(s.Entities, kg.Entity{ID: "directive:bod-17-01", Kind: kg.KindDirective, Name: "BOD 17-01"})
				s.Relationships = append(s.Relationships,
					kg.Relationship{Type: kg.RelTargets, From: "directive:bod-17-01", To: "vendor:kaspersky-lab"},
					kg.Relationship{Type: kg.RelTargets, From: "directive:bod-17-01", To: "product:kaspersky-anti-virus"},
					kg.Relationship{Type: kg.RelBinds, From: "directive:bod-17-01", To: "organization:us-federal-agency"})
				s.Signals = append(s.Signals, kg.RiskSignal{ID: "signal:bod-17-01", EntityID: "directive:bod-17-01",
					Dimension: kg.DimRegulatory, Severity: 0.9, Validity: kg.Validity{From: 20170913}})
			}
			g, err := Compile(m, s)
			if err != nil {
				t.Fatal(err)
			}
			r, err := g.Run(context.Background(), Options{MaxHops: tt.maxHops})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				got := mustScore(t, r, w.id, w.dim)
				if math.Abs(got.Score-w.score) > tol || math.Abs(got.Intrinsic-w.intrinsic) > tol {
					t.Errorf("%s %s: score %v intrinsic %v, doc says %v and %v", w.id, w.dim, got.Score, got.Intrinsic, w.score, w.intrinsic)
				}
				if w.contribs == nil {
					continue
				}
				x, err := r.Explain(w.id, w.dim)
				if err != nil {
					t.Fatal(err)
				}
				checkExplanation(t, m, w.id, x)
				if len(x.Contributions) != len(w.contribs) {
					t.Fatalf("%s %s: %d contributions, doc shows %d: %+v", w.id, w.dim, len(x.Contributions), len(w.contribs), x.Contributions)
				}
				for i, c := range x.Contributions {
					wc := w.contribs[i]
					if c.Signal.ID != wc.signal || math.Abs(c.Strength-wc.strength) > tol || math.Abs(c.Share-wc.share) > tol {
						t.Errorf("%s contribution %d: %s strength %v share %v, doc says %s %v %v",
							w.id, i+1, c.Signal.ID, c.Strength, c.Share, wc.signal, wc.strength, wc.share)
					}
					if p := chainPath(c.Chain); !slices.Equal(p, wc.path) {
						t.Errorf("%s contribution %d chain:\n got %v\nwant %v", w.id, i+1, p, wc.path)
					}
				}
			}
		})
	}
}

// TestWeightsTableMatchesDoc holds the "Default weights" table of docs/risk-model.md to the
// embedded model: every row's flow and every dimension's weight, a dash for none.
func TestWeightsTableMatchesDoc(t *testing.T) {
	f, err := os.Open("../../docs/risk-model.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := DefaultModel()
	cols := []kg.Dimension{kg.DimForeignInfluence, kg.DimRegulatory, kg.DimSanctions, kg.DimReputational, kg.DimOperational}
	rows := map[kg.RelType]bool{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Default weights"
			continue
		}
		if !in || !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rt := kg.RelType(cells[0])
		if !slices.Contains(kg.RelTypes, rt) {
			continue // the header and its rule
		}
		if len(cells) != 8 {
			t.Fatalf("%s: %d cells, want 8", rt, len(cells))
		}
		rows[rt] = true
		var flow Flow
		switch {
		case strings.HasPrefix(cells[1], "along"):
			flow = Along
		case strings.HasPrefix(cells[1], "against"):
			flow = Against
		}
		for i, d := range cols {
			want := 0.0
			if c := cells[2+i]; c != "–" {
				if want, err = strconv.ParseFloat(c, 64); err != nil {
					t.Fatalf("%s %s: %q is not a weight", rt, d, c)
				}
			}
			// The weight the row's flow gives, and nothing the other way.
			got, stray := m.Weight(rt, d, Along), m.Weight(rt, d, Against)
			if flow == Against {
				got, stray = stray, got
			}
			if flow == "" {
				got, stray = 0, got+stray
			}
			if got != want || stray != 0 {
				t.Errorf("%s %s: doc says %v (%s), model.json has %v (and %v the other way)", rt, d, want, cells[1], got, stray)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Rules() {
		if !rows[r.Type] {
			t.Errorf("%s is in model.json but has no row in the doc", r.Type)
		}
	}
}
