package kg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// Version says which recorded version of a fact a value is: the days it holds, when it was
// recorded and by whom, whether by a correction, and when a later write superseded it.
//
// A fact's history is a list of rows, each the fact as it held over its Validity with its
// Version set. Rows are never changed or removed except that a later write may mark one
// superseded; so every answer ever given can be replayed (see View).
type Version struct {
	// Valid is the days this version holds; the zero Validity when they are the fact's whole
	// Validity, as for a fact with one version (and in a history row, whose Validity says).
	Valid Validity `json:"valid"`
	// RecordedAt 0 means recorded before riskgraph kept history.
	RecordedAt   Stamp  `json:"recordedAt"`             // when the write that made it was recorded
	SupersededAt Stamp  `json:"supersededAt,omitempty"` // when a later write replaced it; 0 while current
	RecordedBy   string `json:"recordedBy,omitempty"`   // who wrote it: an API key's name, or "local"
	Correction   bool   `json:"correction,omitempty"`   // written by an explicit correction
}

// ValidIn is the days the version holds within a fact whose Validity is fact.
func (v Version) ValidIn(fact Validity) Validity {
	if v.Valid == (Validity{}) {
		return fact
	}
	return v.Valid
}

// KnownAt reports whether the row was the record at k (0: is the record now).
func (v Version) KnownAt(k Stamp) bool {
	if k == 0 {
		return v.SupersededAt == 0
	}
	return v.RecordedAt <= k && (v.SupersededAt == 0 || k < v.SupersededAt)
}

// Fact is a kind of fact that keeps versions.
type Fact interface {
	Entity | Relationship | RiskSignal
}

// Outcome says what a write did to one fact.
type Outcome int

// Outcomes of a write.
const (
	Unchanged Outcome = iota // the record already said this
	Created                  // the fact is new
	Updated                  // a new version, a correction, or a new end
	Retracted                // its current version was ended
)

// parts gives access to the validity and version of any Fact.
func parts[T Fact](f *T) (*Validity, **Version) {
	switch x := any(f).(type) {
	case *Entity:
		return &x.Validity, &x.Version
	case *Relationship:
		return &x.Validity, &x.Version
	case *RiskSignal:
		return &x.Validity, &x.Version
	}
	panic("kg: not a fact") // the Fact constraint admits nothing else
}

// ValidityOf is f's Validity.
func ValidityOf[T Fact](f T) Validity { v, _ := parts(&f); return *v }

// VersionOf is f's Version, or the zero Version when unset.
func VersionOf[T Fact](f T) Version {
	if _, ver := parts(&f); *ver != nil {
		return **ver
	}
	return Version{}
}

// with returns f with its validity and version replaced.
func with[T Fact](f T, valid Validity, ver *Version) T {
	v, vp := parts(&f)
	*v, *vp = valid, ver
	return f
}

// Content is f's canonical content: everything but its validity and version, as JSON. Two
// values of a fact say the same when their contents are equal.
func Content[T Fact](f T) []byte {
	b, err := json.Marshal(with(f, Validity{}, nil))
	if err != nil {
		panic(fmt.Sprintf("kg: encode %T: %v", f, err)) // kg values always encode
	}
	return b
}

// SameContent reports whether a and b say the same, whatever their validity and version.
func SameContent[T Fact](a, b T) bool { return bytes.Equal(Content(a), Content(b)) }

func lo(d Date) int64 {
	if d == 0 {
		return math.MinInt64
	}
	return int64(d)
}

func hi(d Date) int64 {
	if d == 0 {
		return math.MaxInt64
	}
	return int64(d)
}

func covers(v Validity, d Date) bool { return lo(v.From) <= int64(d) && int64(d) < hi(v.To) }

// Rows returns the rows of h known at k (0: now), ordered by their start.
func Rows[T Fact](h []T, k Stamp) []T {
	var out []T
	for _, r := range h {
		if VersionOf(r).KnownAt(k) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b T) int {
		x, y := lo(ValidityOf(a).From), lo(ValidityOf(b).From)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return out
}

// View returns the fact that h, as known at k (0: now), says holds on asOf: the content of
// the version in force then, with Validity the whole unbroken run of versions around it (the
// days the fact holds) and Version the version's own, as it stood at k (not yet superseded).
// False when none holds then.
func View[T Fact](h []T, asOf Date, k Stamp) (T, bool) {
	rows := Rows(h, k)
	i := slices.IndexFunc(rows, func(r T) bool { return covers(ValidityOf(r), asOf) })
	if i < 0 {
		var zero T
		return zero, false
	}
	run := ValidityOf(rows[i])
	for j := i - 1; j >= 0 && run.From != 0 && ValidityOf(rows[j]).To == run.From; j-- {
		run.From = ValidityOf(rows[j]).From
	}
	for j := i + 1; j < len(rows) && run.To != 0 && ValidityOf(rows[j]).From == run.To; j++ {
		run.To = ValidityOf(rows[j]).To
	}
	ver := VersionOf(rows[i])
	later := k != 0 && ver.SupersededAt > k // superseded after k: as known at k it was current
	if ValidityOf(rows[i]) == run && !later {
		return rows[i], true // the version's days are the fact's: Valid stays zero
	}
	if later {
		ver.SupersededAt = 0
	}
	if ValidityOf(rows[i]) != run {
		ver.Valid = ValidityOf(rows[i])
	}
	return with(rows[i], run, &ver), true
}

// Stamped is who writes and when: every row a write adds carries them.
type Stamped struct {
	At    Stamp  // the write's recorded time
	By    string // the writer's name
	Today Date   // the day of the write, where an upsert of a known fact starts by default
}

// history is the bookkeeping of one write to one fact's rows.
type history[T Fact] struct {
	rows []T // every row, the superseded ones included
	w    Stamped
	id   string // for messages
}

func (h *history[T]) current() []T { return Rows(h.rows, 0) }

// supersede marks the current row equal to r as replaced by this write.
func (h *history[T]) supersede(r T) {
	for i, x := range h.rows {
		if VersionOf(x).SupersededAt == 0 && ValidityOf(x) == ValidityOf(r) {
			ver := VersionOf(x)
			ver.SupersededAt = h.w.At
			h.rows[i] = with(x, ValidityOf(x), &ver)
			return
		}
	}
}

// add records f over valid as a new row of this write.
func (h *history[T]) add(f T, valid Validity, correction bool) {
	if valid.From != 0 && valid.To != 0 && valid.To <= valid.From {
		return // an empty interval holds on no day
	}
	h.rows = append(h.rows, with(f, valid, &Version{RecordedAt: h.w.At, RecordedBy: h.w.By, Correction: correction}))
}

// Upsert writes fact in into the history h of its id and returns the new history: field
// names the row for errors. The rules (docs in README, "Versions over two times"):
//   - A new fact gets one version over in's Validity.
//   - Otherwise the version starts on in's validFrom, or on w.Today when that is open. If the
//     version in force that day says the same, nothing changes (unless in ends the fact: a
//     validTo that differs from the stored end, on an open fact, ends it there). If it says
//     something else, it is closed that day and the new content holds from then to its end
//     (or to in's validTo). A day after the fact's end re-opens it.
//   - Replacing a version from its first day, starting before the fact's first version, or
//     overwriting later versions changes the past: only a correction may (CorrectUpsert).
func Upsert[T Fact](h []T, in T, w Stamped, field, id string) ([]T, Outcome, error) {
	hs := &history[T]{rows: slices.Clone(h), w: w, id: id}
	cur := hs.current()
	iv := ValidityOf(in)
	if len(cur) == 0 {
		hs.add(in, iv, false)
		return hs.rows, Created, nil
	}
	for _, r := range cur {
		if ValidityOf(r) == iv && SameContent(r, in) {
			return h, Unchanged, nil // exactly a version already recorded, as in a re-applied seed
		}
	}
	d := iv.From
	if d == 0 {
		d = w.Today
	}
	endsBeforeStart := func() error {
		if iv.To != 0 && iv.To <= d {
			return Invalid(field+".validTo", "%s: a version from %s cannot end on %s", id, d, iv.To)
		}
		return nil
	}
	i := slices.IndexFunc(cur, func(r T) bool { return covers(ValidityOf(r), d) })
	if i < 0 {
		if err := endsBeforeStart(); err != nil {
			return nil, Unchanged, err
		}
		last := ValidityOf(cur[len(cur)-1])
		switch first := ValidityOf(cur[0]); {
		case int64(d) >= hi(last.To): // after the end: the fact holds again
			hs.add(in, Validity{From: d, To: iv.To}, false)
			return hs.rows, Updated, nil
		case int64(d) < lo(first.From):
			return nil, Unchanged, Invalid(field+".validFrom", "%s holds from %s; a version starting %s, before that, is a correction: send correction: true", id, first.From, d)
		}
		// In a gap between versions: hold until the next one starts.
		next := cur[slices.IndexFunc(cur, func(r T) bool { return lo(ValidityOf(r).From) > int64(d) })]
		end := ValidityOf(next).From
		if iv.To != 0 {
			if iv.To > end {
				return nil, Unchanged, Invalid(field+".validTo", "%s has a version from %s; a new one cannot run past it unless corrected", id, end)
			}
			end = iv.To
		}
		hs.add(in, Validity{From: d, To: end}, false)
		return hs.rows, Updated, nil
	}
	r := cur[i]
	rv := ValidityOf(r)
	last := i == len(cur)-1
	if SameContent(r, in) {
		switch {
		case iv.To == 0 || iv.To == rv.To:
			return h, Unchanged, nil
		case last && rv.To == 0 && int64(iv.To) > lo(rv.From):
			hs.supersede(r)
			hs.add(r, Validity{From: rv.From, To: iv.To}, false)
			return hs.rows, Retracted, nil
		}
		return nil, Unchanged, Invalid(field+".validTo", "%s ends on %s; moving that end is a correction: send correction: true", id, rv.To)
	}
	if d == rv.From {
		return nil, Unchanged, Invalid(field+".validFrom", "%s already has a version from %s; to replace it, send correction: true", id, d)
	}
	if err := endsBeforeStart(); err != nil {
		return nil, Unchanged, err
	}
	end := rv.To
	if iv.To != 0 {
		if rv.To != 0 && iv.To > rv.To {
			return nil, Unchanged, Invalid(field+".validTo", "%s has another version from %s; a new one cannot run past it unless corrected", id, rv.To)
		}
		end = iv.To
	}
	hs.supersede(r)
	hs.add(r, Validity{From: rv.From, To: d}, false)
	hs.add(in, Validity{From: d, To: end}, false)
	if end != rv.To && !last {
		hs.add(r, Validity{From: end, To: rv.To}, false) // the old content resumes
	}
	return hs.rows, Updated, nil
}

// Correct replaces, in the history h of its id, the version in force on in's validFrom (or,
// when none is, the first version within in's Validity: a start moved earlier) with in, over exactly in's Validity: the content, the
// dates, or both. Other versions the new interval overlaps are cut back to make room. The
// new row is marked a correction; the replaced ones stay in the history, superseded. A fact
// with no history is created, as by Upsert.
func Correct[T Fact](h []T, in T, w Stamped, field, id string) ([]T, Outcome, error) {
	hs := &history[T]{rows: slices.Clone(h), w: w, id: id}
	cur := hs.current()
	iv := ValidityOf(in)
	if len(cur) == 0 {
		hs.add(in, iv, false)
		return hs.rows, Created, nil
	}
	// The version corrected is the one in force on validFrom, or else (a start moved earlier)
	// the first one the new interval reaches.
	i := slices.IndexFunc(cur, func(r T) bool { return covers(ValidityOf(r), iv.From) })
	if i < 0 {
		i = slices.IndexFunc(cur, func(r T) bool {
			f := lo(ValidityOf(r).From)
			return f >= lo(iv.From) && f < hi(iv.To)
		})
	}
	if i < 0 {
		return nil, Unchanged, Invalid(field+".validFrom", "no version of %s holds between %s and %s to be corrected", id, iv.From, iv.To)
	}
	r := cur[i]
	if ValidityOf(r) == iv && SameContent(r, in) {
		return h, Unchanged, nil
	}
	hs.supersede(r)
	for j, o := range cur {
		ov := ValidityOf(o)
		if j == i || hi(ov.To) <= lo(iv.From) || hi(iv.To) <= lo(ov.From) {
			continue // the corrected version itself, or no overlap
		}
		hs.supersede(o)
		if lo(ov.From) < lo(iv.From) {
			hs.add(o, Validity{From: ov.From, To: iv.From}, false)
		}
		if hi(ov.To) > hi(iv.To) {
			hs.add(o, Validity{From: iv.To, To: ov.To}, false)
		}
	}
	hs.add(in, iv, true)
	return hs.rows, Updated, nil
}

// Retract ends the current version of the fact with history h on day on. Ending it on or
// before its first day, or moving an end the fact already has to an earlier day, is
// invalid (that is a correction); ending an ended fact on a later day changes nothing.
func Retract[T Fact](h []T, on Date, w Stamped, field, id string) ([]T, Outcome, error) {
	hs := &history[T]{rows: slices.Clone(h), w: w, id: id}
	cur := hs.current()
	if len(cur) == 0 {
		return nil, Unchanged, Invalid(field, "%s does not exist: there is nothing to retract", id)
	}
	r := cur[len(cur)-1]
	rv := ValidityOf(r)
	switch {
	case rv.To != 0 && on >= rv.To:
		return h, Unchanged, nil
	case rv.To != 0:
		return nil, Unchanged, Invalid(field, "%s already ends on %s; moving that end earlier, to %s, is a correction", id, rv.To, on)
	case rv.From != 0 && on <= rv.From:
		return nil, Unchanged, Invalid(field, "%s holds from %s; it cannot end on %s, before it starts", id, rv.From, on)
	}
	hs.supersede(r)
	hs.add(r, Validity{From: rv.From, To: on}, false)
	return hs.rows, Retracted, nil
}
