package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// pendingFact is one fact a write sends: an entity (with the description it writes) or a
// relationship (by id).
type pendingFact struct {
	id     string
	entity bool
	value  string // entities: the description written
	name   string // entities: the name written (an update must send it again)
}

// fact is what one client knows of a fact it wrote.
type fact struct {
	id      string
	entity  bool
	name    string
	phase   string   // the ledger's phase
	updates int      // new versions the client sent (the next opens a day later)
	acked   bool     // a write of it was acknowledged
	value   string   // the description of the last acknowledged write
	pending []string // descriptions sent after it whose writes failed: they may have committed
	failed  failure  // the last failed write of it
}

// failure is a write that failed otherwise than by a 429: it may or may not have committed.
type failure struct {
	key        string        // the error table's name
	start, end time.Duration // offsets from the start of its load
}

// accepts reports whether v is what the fact may read as: the last acknowledged content,
// or that of a later write whose outcome is unknown.
func (f *fact) accepts(v string) bool {
	if f.acked && v == f.value {
		return true
	}
	for _, p := range f.pending {
		if v == p {
			return true
		}
	}
	return false
}

// ledger is one client's record of its writes. Each client writes only its own ids, one
// request at a time, so the ledger needs no lock and "the last acknowledged write" is well
// defined.
type ledger struct {
	phase   string // "warm-up" or "load"
	facts   map[string]*fact
	order   []string // ids in the order first written
	own     []string // acknowledged entity ids, for reads and updates
	acks    int      // facts acknowledged (a fact written twice counts twice)
	refused int      // facts of writes refused before they ran (429)
	unknown int      // facts of writes that failed otherwise: they may or may not have committed
}

func newLedger(phase string) *ledger { return &ledger{phase: phase, facts: map[string]*fact{}} }

func (l *ledger) get(p pendingFact) *fact {
	f := l.facts[p.id]
	if f == nil {
		f = &fact{id: p.id, entity: p.entity, name: p.name, phase: l.phase}
		l.facts[p.id] = f
		l.order = append(l.order, p.id)
	}
	return f
}

// acknowledge records an acknowledged write of facts.
func (l *ledger) acknowledge(facts []pendingFact) {
	for _, p := range facts {
		f := l.get(p)
		if f.entity && !f.acked {
			l.own = append(l.own, f.id)
		}
		f.acked, f.value, f.pending = true, p.value, nil
		if p.name != "" {
			f.name = p.name
		}
		l.acks++
	}
}

// uncertain records a write of facts that failed in a way that may have committed it.
func (l *ledger) uncertain(facts []pendingFact, why failure) {
	for _, p := range facts {
		f := l.get(p)
		if f.entity {
			f.pending = append(f.pending, p.value)
		}
		f.failed = why
		l.unknown++
	}
}

// verification is what reading back every written fact found.
type verification struct {
	acked        int      // distinct facts with an acknowledged write
	found        int      // of those, read back with acceptable content
	missing      []string // acknowledged, not found
	wrong        []string // acknowledged, found with content no write of this run sent last
	unackedOnly  int      // facts only written by writes that failed
	unackedFound []*fact  // of those, present anyway (a failed write that committed)
	errors       int      // verification requests that failed after retries
	elapsed      time.Duration
}

// ok reports whether every acknowledged fact was found intact.
func (v verification) ok() bool { return len(v.missing) == 0 && len(v.wrong) == 0 && v.errors == 0 }

// verifyBatch is how many facts one verification request reads (aliases; the server
// allows 30).
const verifyBatch = 25

// verify reads back every fact the ledgers hold.
func verify(ctx context.Context, c *gqlClient, key string, ledgers []*ledger) verification {
	began := time.Now()
	var v verification
	var ents, rels []*fact
	for _, l := range ledgers {
		for _, id := range l.order {
			f := l.facts[id]
			if f.acked {
				v.acked++
			} else {
				v.unackedOnly++
			}
			if f.entity {
				ents = append(ents, f)
			} else {
				rels = append(rels, f)
			}
		}
	}
	for _, group := range []struct {
		facts []*fact
		field string
		sel   string
	}{{ents, "entity", "id description"}, {rels, "relationship", "id"}} {
		for i := 0; i < len(group.facts); i += verifyBatch {
			batch := group.facts[i:min(i+verifyBatch, len(group.facts))]
			got, err := readBack(ctx, c, key, group.field, group.sel, batch)
			if err != nil {
				v.errors++
				continue
			}
			for _, f := range batch {
				desc, present := got[f.id]
				switch {
				case f.acked && !present:
					v.missing = append(v.missing, f.id)
				case f.acked && f.entity && !f.accepts(desc):
					v.wrong = append(v.wrong, f.id)
				case f.acked:
					v.found++
				case present:
					v.unackedFound = append(v.unackedFound, f)
				}
			}
		}
	}
	v.elapsed = time.Since(began)
	return v
}

// readBack reads batch with one aliased query and returns, for each fact found, its
// description (entities) or "" (relationships). NOT_FOUND leaves a fact out; a 429 is
// waited out as Retry-After says; UNAVAILABLE is retried for a bounded time.
func readBack(ctx context.Context, c *gqlClient, key, field, sel string, batch []*fact) (map[string]string, error) {
	var q strings.Builder
	q.WriteString("query Verify(")
	vars := map[string]any{}
	for i := range batch {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "$i%d: ID!", i)
		vars[fmt.Sprintf("i%d", i)] = batch[i].id
	}
	q.WriteString(") {")
	for i := range batch {
		fmt.Fprintf(&q, " f%d: %s(id: $i%d) { %s }", i, field, i, sel)
	}
	q.WriteString(" }")
	deadline := time.Now().Add(60 * time.Second)
	for {
		res := c.do(ctx, key, q.String(), vars)
		out, k := classify(res)
		onlyNotFound := res.status == 200 && res.transport == nil && len(res.errors) > 0
		for _, e := range res.errors {
			onlyNotFound = onlyNotFound && e.Extensions.Code == "NOT_FOUND"
		}
		if out == outOK || onlyNotFound {
			var d map[string]*struct {
				ID          string  `json:"id"`
				Description *string `json:"description"`
			}
			if err := json.Unmarshal(res.data, &d); err != nil {
				return nil, fmt.Errorf("verify %ss: decode: %w", field, err)
			}
			got := map[string]string{}
			for i, f := range batch {
				if e := d[fmt.Sprintf("f%d", i)]; e != nil && e.ID == f.id {
					got[f.id] = ""
					if e.Description != nil {
						got[f.id] = *e.Description
					}
				}
			}
			return got, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil || (out != outLimited && out != outUnavailable) {
			return nil, fmt.Errorf("verify %ss: %s", field, k)
		}
		wait := 500 * time.Millisecond
		if out == outLimited && res.retryAfter > 0 {
			wait = res.retryAfter
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, fmt.Errorf("verify %ss: %w", field, ctx.Err())
		}
	}
}

// sample lists at most n of ids, sorted, for the report.
func sample(ids []string, n int) string {
	s := append([]string(nil), ids...)
	sort.Strings(s)
	if len(s) > n {
		return strings.Join(s[:n], ", ") + fmt.Sprintf(", … (%d in all)", len(s))
	}
	return strings.Join(s, ", ")
}
