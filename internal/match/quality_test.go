package match

import (
	"fmt"
	"sort"
	"testing"
)

// floors of the labelled-set test, a little under what the matcher achieves (see
// testdata/README.md for the numbers).
type floors struct {
	precision, recall float64
	ambiguous         int // at most this many cases classified AMBIGUOUS
}

// retrieveN is how many retrieved targets a candidate is scored against, as a store would.
const retrieveN = 100

// evalTargets are the seed entities, the targets of testdata/targets.csv, synth-style
// names and a few thousand invented distractors (none with the key of a labelled target).
func evalTargets(t testing.TB) []Target {
	labelled := append(seedTargets(t), fileTargets(t)...)
	labelled = append(labelled, synthStyle(300)...)
	keys := map[string]bool{}
	for _, tg := range labelled {
		for _, s := range append([]string{tg.Name}, tg.Aliases...) {
			keys[Normalize(s).Key()] = true
		}
	}
	out := labelled
	for _, d := range distractors(4000, 1) {
		if !keys[Normalize(d.Name).Key()] {
			out = append(out, d)
		}
	}
	return out
}

func allCases(t testing.TB) []labelled {
	return append(readCases(t, "testdata/cases.csv"), readCases(t, "testdata/synthetic_cases.csv")...)
}

// outcome counts the results of matching the labelled set.
type outcome struct {
	positives, negatives int
	tp                   int // MATCH to the expected entity
	wrong                int // MATCH to another entity, on a positive case
	falseAlarm           int // MATCH on a negative case
	missed               int // NONE on a positive case
	ambiguous            int // AMBIGUOUS on any case
	ambiguousRight       int // AMBIGUOUS on a positive case whose entity is among the top two
	failures             []string
}

func (o outcome) precision() float64 {
	if d := o.tp + o.wrong + o.falseAlarm; d > 0 {
		return float64(o.tp) / float64(d)
	}
	return 1
}

func (o outcome) recall() float64 { return float64(o.tp) / float64(o.positives) }

func (o outcome) String() string {
	return fmt.Sprintf("cases %d (positive %d, negative %d): precision %.3f, recall %.3f; "+
		"match right %d, match wrong %d, false alarms %d, missed %d, ambiguous %d (right entity in top two: %d)",
		o.positives+o.negatives, o.positives, o.negatives, o.precision(), o.recall(),
		o.tp, o.wrong, o.falseAlarm, o.missed, o.ambiguous, o.ambiguousRight)
}

func evaluate(cases []labelled, m Matcher, s *searcher) outcome {
	var o outcome
	for _, lc := range cases {
		ms := m.Best(lc.c, s.retrieve(lc.c, retrieveN), 3)
		v := Classify(ms)
		top, score := "", 0.0
		if len(ms) > 0 {
			top, score = ms[0].Target.ID, ms[0].Score
		}
		second := ""
		if len(ms) > 1 {
			second = fmt.Sprintf("; second %s %.3f", ms[1].Target.ID, ms[1].Score)
		}
		fail := func(what string) {
			o.failures = append(o.failures, fmt.Sprintf("%-9s %-45q want %-40s got %s %s %.3f%s (%s)",
				what, lc.c.Name, lc.expect, v, top, score, second, lc.note))
		}
		if lc.expect == "none" {
			o.negatives++
		} else {
			o.positives++
		}
		switch {
		case v == VerdictAmbiguous:
			o.ambiguous++
			if lc.expect != "none" {
				if top == lc.expect || (len(ms) > 1 && ms[1].Target.ID == lc.expect) {
					o.ambiguousRight++
				}
				fail("ambiguous")
			}
		case v == VerdictMatch && lc.expect == "none":
			o.falseAlarm++
			fail("alarm")
		case v == VerdictMatch && top == lc.expect:
			o.tp++
		case v == VerdictMatch:
			o.wrong++
			fail("wrong")
		case lc.expect != "none":
			o.missed++
			fail("missed")
		}
	}
	sort.Strings(o.failures)
	return o
}

// TestLabelledSet measures precision and recall over the labelled set, retrieving targets by
// Keys as a store would, with and without IDF weights.
func TestLabelledSet(t *testing.T) {
	targets := evalTargets(t)
	ix := newIndex(targets)
	cases := allCases(t)
	if len(cases) < 200 {
		t.Fatalf("labelled set has %d cases, want at least 200", len(cases))
	}
	for _, mode := range []struct {
		name string
		m    Matcher
		min  floors
	}{
		{"class weights", Matcher{}, floors{precision: 0.98, recall: 0.95, ambiguous: 8}},
		{"idf weights", Matcher{IDF: ix.idf}, floors{precision: 0.97, recall: 0.93, ambiguous: 12}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			o := evaluate(cases, mode.m, ix.searcher())
			t.Logf("targets %d; %s", len(targets), o)
			for _, f := range o.failures {
				t.Log(f)
			}
			if o.precision() < mode.min.precision || o.recall() < mode.min.recall || o.ambiguous > mode.min.ambiguous {
				t.Errorf("below the floors %+v", mode.min)
			}
		})
	}
}
