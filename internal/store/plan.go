package store

import (
	"fmt"
	"slices"

	"riskgraph/internal/kg"
)

// Histories holds every recorded row of some facts, by id: what a backend reads of the facts
// a batch touches before it writes, and what Plan returns for the facts the batch changes.
type Histories struct {
	Entities      map[string][]kg.Entity
	Relationships map[string][]kg.Relationship
	Signals       map[string][]kg.RiskSignal
}

// NewHistories returns empty maps sized for n facts of each kind.
func NewHistories(n int) Histories {
	return Histories{Entities: make(map[string][]kg.Entity, n), Relationships: make(map[string][]kg.Relationship, n),
		Signals: make(map[string][]kg.RiskSignal, n)}
}

// Len is the number of facts h holds.
func (h Histories) Len() int { return len(h.Entities) + len(h.Relationships) + len(h.Signals) }

// Plan works out, in one place for every backend, what a checked batch does to the stored
// histories of the facts it touches (stored holds them; a fact absent from it is new),
// recorded as write w. It returns the new histories of the facts that change, and the
// result; on an error nothing may be written. Backends call it inside the transaction (or
// under the lock) in which they read stored, and then write what it returns.
func Plan(b kg.Batch, stored Histories, w kg.Stamped) (Histories, WriteResult, error) {
	out := NewHistories(0)
	res := WriteResult{}
	if b.IsArchive() {
		return restore(b, stored, out)
	}
	corrections := make(map[string]bool, len(b.Corrections))
	for _, id := range b.Corrections {
		corrections[id] = true
	}
	if err := planRows(b.Entities, "entities", func(e kg.Entity) string { return e.ID }, stored.Entities, out.Entities, corrections, w, &res); err != nil {
		return out, WriteResult{}, err
	}
	if err := planRows(b.Relationships, "relationships", kg.Relationship.ID, stored.Relationships, out.Relationships, corrections, w, &res); err != nil {
		return out, WriteResult{}, err
	}
	if err := planRows(b.Signals, "signals", func(g kg.RiskSignal) string { return g.ID }, stored.Signals, out.Signals, corrections, w, &res); err != nil {
		return out, WriteResult{}, err
	}
	for i, r := range b.Retractions {
		field := fmt.Sprintf("retractions[%d].id", i)
		var o kg.Outcome
		var err error
		switch {
		case stored.Entities[r.ID] != nil:
			o, err = retract(stored.Entities, out.Entities, r, w, field)
		case stored.Relationships[r.ID] != nil:
			o, err = retract(stored.Relationships, out.Relationships, r, w, field)
		case stored.Signals[r.ID] != nil:
			o, err = retract(stored.Signals, out.Signals, r, w, field)
		default:
			err = kg.Invalid(field, "no entity, relationship or signal %q exists to retract", r.ID)
		}
		if err != nil {
			return out, WriteResult{}, err
		}
		res.Note(r.ID, o)
	}
	if res.Changed() {
		res.RecordedAt = w.At
	}
	return out, res, nil
}

func planRows[T kg.Fact](rows []T, list string, id func(T) string, stored, out map[string][]T, corrections map[string]bool,
	w kg.Stamped, res *WriteResult) error {
	for i, row := range rows {
		key := id(row)
		field := fmt.Sprintf("%s[%d]", list, i)
		var h []T
		var o kg.Outcome
		var err error
		if corrections[key] {
			h, o, err = kg.Correct(stored[key], row, w, field, key)
		} else {
			h, o, err = kg.Upsert(stored[key], row, w, field, key)
		}
		if err != nil {
			return err
		}
		if o != kg.Unchanged {
			out[key] = h
		}
		res.Note(key, o)
	}
	return nil
}

func retract[T kg.Fact](stored, out map[string][]T, r kg.Retraction, w kg.Stamped, field string) (kg.Outcome, error) {
	h, o, err := kg.Retract(stored[r.ID], r.On, w, field, r.ID)
	if err == nil && o != kg.Unchanged {
		out[r.ID] = h
	}
	return o, err
}

// restore plans an archive: each fact's rows are written as recorded when the fact is new
// to the store, and are Unchanged when the store holds exactly those rows already.
func restore(b kg.Batch, stored, out Histories) (Histories, WriteResult, error) {
	var res WriteResult
	if err := restoreRows(b.Entities, "entities", func(e kg.Entity) string { return e.ID }, stored.Entities, out.Entities, &res); err != nil {
		return out, WriteResult{}, err
	}
	if err := restoreRows(b.Relationships, "relationships", kg.Relationship.ID, stored.Relationships, out.Relationships, &res); err != nil {
		return out, WriteResult{}, err
	}
	if err := restoreRows(b.Signals, "signals", func(g kg.RiskSignal) string { return g.ID }, stored.Signals, out.Signals, &res); err != nil {
		return out, WriteResult{}, err
	}
	return out, res, nil
}

func restoreRows[T kg.Fact](rows []T, list string, id func(T) string, stored, out map[string][]T, res *WriteResult) error {
	given := map[string][]T{}
	first := map[string]int{}
	var order []string
	for i, r := range rows {
		key := id(r)
		if _, ok := given[key]; !ok {
			order = append(order, key)
			first[key] = i
		}
		given[key] = append(given[key], r)
	}
	for _, key := range order {
		have := stored[key]
		switch {
		case len(have) == 0:
			out[key] = given[key]
			res.Note(key, kg.Created)
		case sameRows(have, given[key]):
			res.Note(key, kg.Unchanged)
		default:
			return kg.Invalid(fmt.Sprintf("%s[%d]", list, first[key]),
				"%s already has a different history in this store; an archive only restores facts the store does not have", key)
		}
	}
	return nil
}

// sameRows reports whether two histories hold the same rows, in any order.
func sameRows[T kg.Fact](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(r T) string {
		v := kg.VersionOf(r)
		v.Valid, v.RecordedBy = kg.Validity{}, ""
		return fmt.Sprint(kg.ValidityOf(r), v, string(kg.Content(r)))
	}
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		ka[i], kb[i] = key(a[i]), key(b[i])
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}
