package kg

import (
	"errors"
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

func vendor(name string, v Validity) Entity {
	return Entity{ID: "vendor:acme", Kind: KindVendor, Name: name, Validity: v}
}

// writer hands out increasing stamps, one per write, all on one day.
type writer struct{ at Stamp }

func (w *writer) next() Stamped {
	w.at += 10
	return Stamped{At: w.at, By: "test", Today: 20260101}
}

func mustView(t *testing.T, h []Entity, asOf Date, k Stamp) (string, Validity) {
	t.Helper()
	e, ok := View(h, asOf, k)
	if !ok {
		return "", Validity{}
	}
	return e.Name, e.Validity
}

func TestHistoryVersionsKeepThePast(t *testing.T) {
	var w writer
	h, out, err := Upsert(nil, vendor("Acme", Validity{From: 20100101}), w.next(), "e", "vendor:acme")
	if err != nil || out != Created || len(h) != 1 {
		t.Fatalf("create: %v %v %d rows", out, err, len(h))
	}
	created := w.at
	if _, out, err := Upsert(h, vendor("Acme", Validity{From: 20100101}), w.next(), "e", "vendor:acme"); err != nil || out != Unchanged {
		t.Fatalf("same again: %v %v", out, err)
	}
	// A rename from 2020: the name before stays for earlier days.
	h, out, err = Upsert(h, vendor("Acme Corp", Validity{From: 20200101}), w.next(), "e", "vendor:acme")
	if err != nil || out != Updated {
		t.Fatalf("rename: %v %v", out, err)
	}
	renamed := w.at
	for _, tc := range []struct {
		asOf Date
		k    Stamp
		want string
	}{
		{20150101, 0, "Acme"}, {20210101, 0, "Acme Corp"},
		{20210101, created, "Acme"}, // as known before the rename
		{20210101, renamed, "Acme Corp"},
		{20090101, 0, ""}, // before the fact
		{20210101, created - 1, ""},
	} {
		if got, v := mustView(t, h, tc.asOf, tc.k); got != tc.want || (got != "" && v != (Validity{From: 20100101})) {
			t.Errorf("on %s known at %d: %q %+v, want %q over the whole run from 2010", tc.asOf, tc.k, got, v, tc.want)
		}
	}
	// The version's own interval is on the read.
	if e, _ := View(h, 20210101, 0); e.Version.Valid != (Validity{From: 20200101}) || e.Version.RecordedAt != renamed || e.Version.RecordedBy != "test" {
		t.Errorf("version of the renamed row: %+v", e.Version)
	}
	// Replacing a version from its first day is a correction; as an upsert it is refused.
	if _, _, err := Upsert(h, vendor("Acme Inc", Validity{From: 20200101}), w.next(), "e", "vendor:acme"); !errors.Is(err, ErrInvalid) {
		t.Errorf("replace from the first day without correction: %v", err)
	}
	if _, _, err := Upsert(h, vendor("Acme Inc", Validity{From: 20050101}), w.next(), "e", "vendor:acme"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a version before the fact's start without correction: %v", err)
	}
	// The correction replaces it; the record before the correction still reads the same.
	h, out, err = Correct(h, vendor("Acme Inc", Validity{From: 20200101}), w.next(), "e", "vendor:acme")
	if err != nil || out != Updated {
		t.Fatalf("correct: %v %v", out, err)
	}
	corrected := w.at
	if got, _ := mustView(t, h, 20210101, 0); got != "Acme Inc" {
		t.Errorf("after the correction: %q", got)
	}
	if got, _ := mustView(t, h, 20210101, corrected-1); got != "Acme Corp" {
		t.Errorf("as known before the correction: %q", got)
	}
	if e, _ := View(h, 20210101, 0); !e.Version.Correction {
		t.Error("the corrected row is not marked a correction")
	}
}

func TestHistoryRetractRules(t *testing.T) {
	var w writer
	h, _, _ := Upsert(nil, vendor("Acme", Validity{From: 20100101}), w.next(), "e", "vendor:acme")
	for _, tc := range []struct {
		on   Date
		want error
	}{{20100101, ErrInvalid}, {20050101, ErrInvalid}} {
		if _, _, err := Retract(h, tc.on, w.next(), "ids[0]", "vendor:acme"); !errors.Is(err, tc.want) {
			t.Errorf("retract on %s: %v", tc.on, err)
		}
	}
	h, out, err := Retract(h, 20170101, w.next(), "ids[0]", "vendor:acme")
	if err != nil || out != Retracted {
		t.Fatalf("retract: %v %v", out, err)
	}
	ended := w.at
	if _, out, err := Retract(h, 20180101, w.next(), "ids[0]", "vendor:acme"); err != nil || out != Unchanged {
		t.Errorf("retract again later: %v %v", out, err)
	}
	if _, _, err := Retract(h, 20160101, w.next(), "ids[0]", "vendor:acme"); !errors.Is(err, ErrInvalid) {
		t.Errorf("moving the end earlier: %v", err)
	}
	if got, _ := mustView(t, h, 20180101, 0); got != "" {
		t.Errorf("visible after its end: %q", got)
	}
	if got, _ := mustView(t, h, 20180101, ended-1); got != "Acme" {
		t.Errorf("as known before the retraction: %q", got)
	}
	// Upserting after the end re-opens the fact; a correction moves the end.
	h2, out, err := Upsert(h, vendor("Acme", Validity{From: 20190101}), w.next(), "e", "vendor:acme")
	if err != nil || out != Updated {
		t.Fatalf("re-open: %v %v", out, err)
	}
	if got, v := mustView(t, h2, 20200101, 0); got != "Acme" || v != (Validity{From: 20190101}) {
		t.Errorf("re-opened: %q %+v", got, v)
	}
	h3, _, err := Correct(h, vendor("Acme", Validity{From: 20100101, To: 20170601}), w.next(), "e", "vendor:acme")
	if err != nil {
		t.Fatal(err)
	}
	if got, v := mustView(t, h3, 20170301, 0); got != "Acme" || v.To != 20170601 {
		t.Errorf("end corrected to 2017-06-01: %q %+v", got, v)
	}
	// An upsert that gives an open fact a validTo ends it there.
	h4, _, _ := Upsert(nil, vendor("Acme", Validity{}), w.next(), "e", "vendor:acme")
	h4, out, err = Upsert(h4, vendor("Acme", Validity{To: 20200101}), w.next(), "e", "vendor:acme")
	if err != nil || out != Retracted {
		t.Fatalf("upsert with an end: %v %v", out, err)
	}
	if got, _ := mustView(t, h4, 20200101, 0); got != "" {
		t.Errorf("visible on its new end: %q", got)
	}
	if _, _, err := Retract[Entity](nil, 20200101, w.next(), "ids[0]", "vendor:ghost"); !errors.Is(err, ErrInvalid) {
		t.Errorf("retract unknown: %v", err)
	}
}

// Whatever sequence of writes a fact goes through, every answer once given can be given
// again: a view as known at an earlier time never changes afterwards, and the record at any
// time has at most one version on any day.
func TestHistoryReplaysAnyAnswer(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var w writer
		var h []Entity
		days := []Date{0, 20100101, 20150101, 20170101, 20200101, 20230101}
		type answer struct {
			asOf Date
			k    Stamp
			name string
			v    Validity
		}
		var given []answer
		for i := range rapid.IntRange(1, 12).Draw(t, "writes") {
			from := rapid.SampledFrom(days).Draw(t, "from")
			to := rapid.SampledFrom(days).Draw(t, "to")
			if to != 0 && from != 0 && to <= from {
				to = 0
			}
			name := rapid.SampledFrom([]string{"A", "B", "C"}).Draw(t, "name")
			st := w.next()
			var next []Entity
			var err error
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				next, _, err = Upsert(h, vendor(name, Validity{From: from, To: to}), st, "e", "vendor:acme")
			case 1:
				next, _, err = Correct(h, vendor(name, Validity{From: from, To: to}), st, "e", "vendor:acme")
			default:
				on := rapid.SampledFrom(days[1:]).Draw(t, "on")
				next, _, err = Retract(h, on, st, "e", "vendor:acme")
			}
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("write %d: %v", i, err)
				}
				continue // refused: nothing changed
			}
			h = next
			for _, d := range append(days[1:], 20991231) {
				e, ok := View(h, d, st.At)
				a := answer{asOf: d, k: st.At}
				if ok {
					a.name, a.v = e.Name, e.Validity
				}
				given = append(given, a)
			}
			for _, a := range given {
				e, ok := View(h, a.asOf, a.k)
				got := answer{asOf: a.asOf, k: a.k}
				if ok {
					got.name, got.v = e.Name, e.Validity
				}
				if got != a {
					t.Fatalf("after write %d the answer for %s known at %d changed: %+v, was %+v", i, a.asOf, a.k, got, a)
				}
			}
			// At any recorded time, versions do not overlap.
			for _, k := range []Stamp{0, st.At} {
				rows := Rows(h, k)
				for j := 1; j < len(rows); j++ {
					if hi(rows[j-1].Validity.To) > lo(rows[j].Validity.From) {
						t.Fatalf("overlapping versions known at %d: %s", k, fmt.Sprint(rows))
					}
				}
			}
		}
	})
}
