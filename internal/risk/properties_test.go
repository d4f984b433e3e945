package risk

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"riskgraph/internal/kg"
)

// allScores returns every entity's scores, with sources, in every test dimension.
func allScores(t tb, r *Result, s kg.Snapshot) map[string]Score {
	t.Helper()
	out := map[string]Score{}
	for _, e := range s.Entities {
		for _, d := range testDims {
			out[e.ID+" "+string(d)] = mustScore(t, r, e.ID, d)
		}
	}
	return out
}

// Property 1: scores lie in [0,1]; an entity no signal can reach within the hop cap scores 0.
func TestPropertyRangeAndZero(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t).model(t)
		s := drawSnapshot(t)
		r := run(t, m, s)
		for _, d := range testDims {
			reach := bruteForce(m, s, d)
			for _, e := range s.Entities {
				sc := mustScore(t, r, e.ID, d)
				if !(sc.Score >= 0 && sc.Score <= 1) || !(sc.Intrinsic >= 0 && sc.Intrinsic <= sc.Score) {
					t.Fatalf("%s %s: score %v intrinsic %v out of range", e.ID, d, sc.Score, sc.Intrinsic)
				}
				if reach[e.ID] == 0 && sc.Score != 0 {
					t.Fatalf("%s %s: nothing reaches it but it scores %v", e.ID, d, sc.Score)
				}
			}
		}
	})
}

// Property 2: adding a signal or an edge, or raising a weight, never lowers any score.
func TestPropertyMonotone(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := drawModel(t)
		s := drawSnapshot(t)
		before := allScores(t, run(t, spec.model(t), s), s)

		bigger := s
		bigger.Relationships = append([]kg.Relationship(nil), s.Relationships...)
		bigger.Signals = append([]kg.RiskSignal(nil), s.Signals...)
		spec2 := spec.clone()
		switch rapid.IntRange(0, 3).Draw(t, "change") {
		case 0: // a signal
			e := rapid.SampledFrom(s.Entities).Draw(t, "entity")
			bigger.Signals = append(bigger.Signals, kg.RiskSignal{ID: "signal:new", EntityID: e.ID,
				Dimension: rapid.SampledFrom(testDims).Draw(t, "dim"), Severity: unit(t, "severity")})
		case 1: // an edge
			from := rapid.SampledFrom(s.Entities).Draw(t, "from")
			to := rapid.SampledFrom(s.Entities).Draw(t, "to")
			for _, rt := range kg.RelTypes {
				r := kg.Relationship{Type: rt, From: from.ID, To: to.ID, Confidence: unit(t, "conf")}
				if r.Confidence == 0 {
					r.Confidence = 1
				}
				if from.ID != to.ID && kg.Allowed(rt, from.Kind, to.Kind) && !hasRel(s, r.ID()) {
					bigger.Relationships = append(bigger.Relationships, r)
					break
				}
			}
		case 2: // a weight
			rt := rapid.SampledFrom(kg.RelTypes).Draw(t, "type")
			for fl, ws := range spec2.W[rt] {
				d := rapid.SampledFrom(testDims).Draw(t, "dim")
				ws[d] += (1 - ws[d]) * rapid.Float64Range(0, 1).Draw(t, "raise")
				_ = fl
			}
		case 3: // a known ownership share
			for i, r := range bigger.Relationships {
				if r.Type == kg.RelOwnedBy && r.Share != 0 {
					bigger.Relationships[i].Share += (100 - r.Share) * rapid.Float64Range(0, 1).Draw(t, "raise share")
					break
				}
			}
		}
		after := allScores(t, run(t, spec2.model(t), bigger), s)
		for k, b := range before {
			if a := after[k]; a.Score < b.Score {
				t.Fatalf("%s dropped from %v to %v", k, b.Score, a.Score)
			}
		}
	})
}

func hasRel(s kg.Snapshot, id string) bool {
	for _, r := range s.Relationships {
		if r.ID() == id {
			return true
		}
	}
	return false
}

// Property 3: no echo. Random graphs are full of cycles; the engine must give exactly what
// the simple paths give (brute force over simple paths within the hop cap).
func TestPropertyNoEcho(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t).model(t)
		s := drawSnapshot(t)
		r := run(t, m, s)
		for _, d := range testDims {
			want := bruteForce(m, s, d)
			for _, e := range s.Entities {
				if got := mustScore(t, r, e.ID, d).Score; math.Abs(got-want[e.ID]) > 1e-12 {
					t.Fatalf("%s %s: engine %v, simple paths %v", e.ID, d, got, want[e.ID])
				}
			}
		}
	})
}

// Property 4: nothing travels more than the hop cap (or a smaller MaxHops).
func TestPropertyHopBound(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := drawModel(t)
		m := spec.model(t)
		s := drawSnapshot(t)
		g, err := Compile(m, s)
		if err != nil {
			t.Fatal(err)
		}
		h := rapid.IntRange(1, m.HopCap()).Draw(t, "maxHops")
		r, err := g.Run(context.Background(), Options{MaxHops: h})
		if err != nil {
			t.Fatal(err)
		}
		spec.HopCap = h
		capped := spec.model(t)
		for _, d := range testDims {
			want := bruteForce(capped, s, d)
			for _, e := range s.Entities {
				sc := mustScore(t, r, e.ID, d)
				for _, src := range sc.Sources {
					if src.Hops > h {
						t.Fatalf("%s: source %s came %d hops, cap %d", e.ID, src.SignalID, src.Hops, h)
					}
				}
				if math.Abs(sc.Score-want[e.ID]) > 1e-12 {
					t.Fatalf("%s %s at %d hops: engine %v, paths of ≤%d edges %v", e.ID, d, h, sc.Score, h, want[e.ID])
				}
			}
		}
	})
}

// Property 5: same input, any order ⇒ bit-identical scores and explanations.
func TestPropertyDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t).model(t)
		s := drawSnapshot(t)
		r1, r2 := run(t, m, s), run(t, m, s)
		r3 := run(t, m, shuffled(s, rapid.Uint64().Draw(t, "seed")))
		for _, e := range s.Entities {
			for _, d := range testDims {
				a, b, c := mustScore(t, r1, e.ID, d), mustScore(t, r2, e.ID, d), mustScore(t, r3, e.ID, d)
				if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(a, c) {
					t.Fatalf("%s %s differs:\n%+v\n%+v\n%+v", e.ID, d, a, b, c)
				}
				x1, err1 := r1.Explain(e.ID, d)
				x3, err3 := r3.Explain(e.ID, d)
				if err1 != nil || err3 != nil {
					t.Fatal(err1, err3)
				}
				if !reflect.DeepEqual(x1, x3) {
					t.Fatalf("%s %s explanation depends on input order:\n%+v\n%+v", e.ID, d, x1, x3)
				}
			}
		}
	})
}

// TopSource is Score's strongest source, and reports none exactly when Score has none.
func TestPropertyTopSourceIsScoresFirst(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := drawSnapshot(t)
		r := run(t, drawModel(t).model(t), s)
		for _, e := range s.Entities {
			for _, d := range testDims {
				full := mustScore(t, r, e.ID, d)
				top, ok, err := r.TopSource(e.ID, d)
				if err != nil {
					t.Fatal(err)
				}
				if ok != (len(full.Sources) > 0) || ok && !reflect.DeepEqual(top, full.Sources[0]) {
					t.Fatalf("%s %s: TopSource = %+v, %v; Score's sources %+v", e.ID, d, top, ok, full.Sources)
				}
			}
		}
	})
}

// RankingTops pairs Ranking's scores, in the same order, with TopSource's answers.
func TestPropertyRankingTopsIsRankingAndTopSource(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := drawSnapshot(t)
		r := run(t, drawModel(t).model(t), s)
		for _, d := range testDims {
			want, err := r.Ranking(d, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, tops, err := r.RankingTops(d)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) || len(tops) != len(want) {
				t.Fatalf("%s: RankingTops gave %d scores and %d tops, Ranking %d scores", d, len(got), len(tops), len(want))
			}
			for i, sc := range want {
				top, ok, err := r.TopSource(sc.EntityID, d)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					top = Source{}
				}
				if tops[i] != top {
					t.Fatalf("%s %s: top %+v, TopSource %+v", sc.EntityID, d, tops[i], top)
				}
			}
		}
	})
}

// Property 6: every explanation recomposes its score, and each chain really carries its
// signal with the stated strength within the hop cap. Sources with the chains of any subset
// drawn is that explanation with the other chains left out.
func TestPropertyExplanationRecomposes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t).model(t)
		s := drawSnapshot(t)
		r := run(t, m, s)
		for _, e := range s.Entities {
			for _, d := range testDims {
				full, err := r.Explain(e.ID, d)
				if err != nil {
					t.Fatal(err)
				}
				checkExplanation(t, m, e.ID, full)
				part, err := r.Sources(e.ID, d)
				if err != nil {
					t.Fatal(err)
				}
				var idx []int
				want := full
				want.Contributions = slices.Clone(full.Contributions)
				for i := range want.Contributions {
					if rapid.Bool().Draw(t, "draw") {
						idx = append(idx, i)
					} else {
						want.Contributions[i].Chain = nil
					}
				}
				if err := r.DrawChains(&part, idx...); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(part, want) {
					t.Fatalf("%s %s, chains %v drawn:\n got %+v\nwant %+v", e.ID, d, idx, part, want)
				}
			}
		}
	})
}

func checkExplanation(t tb, m *Model, id string, x Explanation) {
	t.Helper()
	if x.Score > 0 && len(x.Contributions) == 0 {
		t.Fatalf("%s: score %v without contributions", id, x.Score)
	}
	sum, intr := 0.0, 0.0
	for _, c := range x.Contributions {
		sum += c.Share
		if len(c.Chain) == 0 {
			intr += c.Share
			if c.Signal.EntityID != id || c.Strength != c.Signal.Severity {
				t.Fatalf("%s: intrinsic contribution %+v is not its own signal", id, c)
			}
			continue
		}
		if len(c.Chain) > x.MaxHops {
			t.Fatalf("%s: chain of %d links over a cap of %d", id, len(c.Chain), x.MaxHops)
		}
		str := c.Signal.Severity
		at := c.Signal.EntityID
		for _, l := range c.Chain {
			if l.From != at {
				t.Fatalf("%s: chain breaks at %s (expected %s): %+v", id, l.From, at, c.Chain)
			}
			if w := m.Weight(l.Type, x.Dimension, l.Flow); w != l.Weight || w == 0 {
				t.Fatalf("%s: link weight %v, model says %v", id, l.Weight, w)
			}
			if f := ownershipFactor(m, x.Dimension, l); f != l.ShareFactor {
				t.Fatalf("%s: link share factor %v, model says %v", id, l.ShareFactor, f)
			}
			str *= l.Weight * l.Confidence * l.ShareFactor
			at = l.To
		}
		if at != id {
			t.Fatalf("%s: chain ends at %s", id, at)
		}
		if math.Abs(str-c.Strength) > 1e-12 {
			t.Fatalf("%s: chain gives %v, contribution says %v", id, str, c.Strength)
		}
	}
	if math.Abs(sum-x.Score) > 1e-9 || math.Abs(intr-x.Intrinsic) > 1e-9 {
		t.Fatalf("%s: shares add to %v (intrinsic %v), score %v (intrinsic %v)", id, sum, intr, x.Score, x.Intrinsic)
	}
}

// ownershipFactor is what the model says a link's share passes on.
func ownershipFactor(m *Model, d kg.Dimension, l Link) float64 {
	if l.Type != kg.RelOwnedBy {
		return 1
	}
	return m.OwnershipFactor(d, l.Share)
}

// Property 7: scoring at date D uses only facts valid at D, even from an unfiltered snapshot.
func TestPropertyAsOf(t *testing.T) {
	dates := []kg.Date{0, 20170101, 20170908, 20171213, 20240620}
	validity := func(t *rapid.T) kg.Validity {
		a := rapid.SampledFrom(dates).Draw(t, "from")
		b := rapid.SampledFrom(dates).Draw(t, "to")
		if b != 0 && b < a {
			a, b = b, a
		}
		return kg.Validity{From: a, To: b}
	}
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t).model(t)
		s := drawSnapshot(t)
		for i := range s.Entities {
			if rapid.Bool().Draw(t, "dated") {
				s.Entities[i].Validity = validity(t)
			}
		}
		for i := range s.Relationships {
			s.Relationships[i].Validity = validity(t)
		}
		for i := range s.Signals {
			s.Signals[i].Validity = validity(t)
		}
		s.AsOf = rapid.SampledFrom(dates[1:]).Draw(t, "asOf")
		whole := run(t, m, s)
		filtered := s.ValidAt(s.AsOf)
		want := run(t, m, filtered)
		for _, e := range s.Entities {
			for _, d := range testDims {
				got, err := whole.Score(e.ID, d)
				if !e.Validity.ValidAt(s.AsOf) {
					if err == nil {
						t.Fatalf("%s is not valid at %s but was scored", e.ID, s.AsOf)
					}
					continue
				}
				if w := mustScore(t, want, e.ID, d); err != nil || !reflect.DeepEqual(got, w) {
					t.Fatalf("%s %s at %s: unfiltered %+v (%v), filtered %+v", e.ID, d, s.AsOf, got, err, w)
				}
			}
		}
	})
}

// Property 8: one entity's exposure from its bounded upstream neighbourhood equals the
// whole-graph pass, bit for bit, explanation included.
func TestPropertyNeighbourhoodEqualsWhole(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t).model(t)
		s := drawSnapshot(t)
		whole := run(t, m, s)
		e := rapid.SampledFrom(s.Entities).Draw(t, "entity")
		sameAsWhole(t, m, whole, neighbourhood(m, s, e.ID, m.HopCap()), e.ID, testDims, "neighbourhood")
	})
}

// sameAsWhole checks that id's exposure in dims from neighbourhood nb is the whole-graph
// pass's, explanation included.
func sameAsWhole(t *rapid.T, m *Model, whole *Result, nb kg.Snapshot, id string, dims []kg.Dimension, what string) {
	exps, err := Exposure(context.Background(), m, nb, id, 0, dims...)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range dims {
		want, err := whole.Explain(id, d)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(exps[i], want) {
			t.Fatalf("%s %s: %s\n%+v\nwhole graph\n%+v", id, d, what, exps[i], want)
		}
	}
}

// Property 8b: the same holds for the neighbourhood cut to the walks from signals to the
// entity (store.SignalWalkCut, what the service reads), for the walk of one dimension or all.
func TestPropertySignalWalkCutEqualsWhole(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t).model(t)
		s := drawSnapshot(t)
		whole := run(t, m, s)
		e := rapid.SampledFrom(s.Entities).Draw(t, "entity")
		dims := testDims
		if rapid.Bool().Draw(t, "one dimension") {
			dims = []kg.Dimension{rapid.SampledFrom(testDims).Draw(t, "dimension")}
		}
		nb, cut := signalWalks(m, s, e.ID, m.HopCap(), dims)
		sameAsWhole(t, m, whole, nb, e.ID, dims, fmt.Sprintf("neighbourhood with %d entities cut", cut))
	})
}

// The whole-graph relaxation gives the same labels as the one-entity relaxation over every
// entity, whatever the number of shards it splits the entities into.
func TestPropertyShardsDoNotMatter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t).model(t)
		s := drawSnapshot(t)
		g, err := Compile(m, s)
		if err != nil {
			t.Fatal(err)
		}
		h := rapid.IntRange(1, m.HopCap()).Draw(t, "hops")
		shards := rapid.IntRange(1, 9).Draw(t, "shards")
		for di := range kg.Dimensions {
			if !g.has[di] {
				continue
			}
			want := g.relax(context.Background(), di, h, nil)
			got := g.relaxAll(context.Background(), di, h, shards)
			for v := range g.ids {
				var a, b []entry
				if l := want.slot[v]; l >= 0 {
					a = want.entries(l)
				}
				if l := got.slot[v]; l >= 0 {
					b = got.entries(l)
				}
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("%s %s with %d shards: %+v, want %+v", g.ids[v], kg.Dimensions[di], shards, b, a)
				}
			}
		}
	})
}
