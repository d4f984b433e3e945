package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"riskgraph/internal/kg"
)

// Checked wraps a backend so that every query and write is checked and normalised once,
// here, before the backend sees it: defaults filled in, dates resolved, limits applied,
// cursors decoded, ids deduplicated, batches validated. Backends assume what it guarantees
// and repeat none of it. The conformance suite runs every backend through Checked.
type Checked struct {
	s Store
}

var _ Store = (*Checked)(nil)

// Check wraps s; a store that is already Checked is returned as it is.
func Check(s Store) *Checked {
	if c, ok := s.(*Checked); ok {
		return c
	}
	return &Checked{s: s}
}

// Unwrap returns the backend behind the checks.
func (c *Checked) Unwrap() Store { return c.s }

// ResolveAsOf turns the zero date into today.
func ResolveAsOf(d kg.Date) kg.Date {
	if d == 0 {
		return kg.Today()
	}
	return d
}

// CheckPage fills in the default size, rejects sizes out of range and decodes the cursor,
// which must have keyParts parts.
func CheckPage(p Page, keyParts int) (Page, error) {
	switch {
	case p.First == 0:
		p.First = DefaultFirst
	case p.First < 0:
		return p, kg.Invalid("first", "first is %d; it must be at least 1", p.First)
	case p.First > MaxFirst:
		return p, kg.OverLimit("first", "first is %d; a page holds at most %d items", p.First, MaxFirst)
	}
	p.Key = nil
	if p.After != "" {
		key, err := decodeCursor(p.After, keyParts)
		if err != nil {
			return p, err
		}
		p.Key = key
	}
	return p, nil
}

// checkIDs rejects a read naming more than MaxIDs ids and returns the well-formed ones,
// each once, in order. A malformed id cannot name a stored entity, so it is simply absent
// from the answer, like any id that names nothing.
func checkIDs(field string, ids []string) ([]string, error) {
	if len(ids) > MaxIDs {
		return nil, kg.OverLimit(field, "%d ids in one read; the limit is %d", len(ids), MaxIDs)
	}
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] && kg.CheckEntityID("", id) == nil {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

func checkKind(field string, k kg.Kind) error {
	if k != "" && !k.Valid() {
		return kg.Invalid(field, "unknown kind %q", k)
	}
	return nil
}

func checkTypes(field string, ts []kg.RelType) error {
	for i, t := range ts {
		if !t.Valid() {
			return kg.Invalid(fmt.Sprintf("%s[%d]", field, i), "unknown relationship type %q", t)
		}
	}
	return nil
}

// checkDirection returns d with "" read as Both, or rejects an unknown direction.
func checkDirection(field string, d kg.Direction) (kg.Direction, error) {
	if d == "" {
		return kg.Both, nil
	}
	if !d.Valid() {
		return d, kg.Invalid(field, "direction %q: want OUT, IN or BOTH", d)
	}
	return d, nil
}

func checkText(field, s string) error {
	if len(s) > MaxTextLen {
		return kg.OverLimit(field, "the text is %d bytes long; the limit is %d", len(s), MaxTextLen)
	}
	return nil
}

func checkHops(field string, n, lo int) error {
	switch {
	case n < lo:
		return kg.Invalid(field, "maxHops is %d; it must be between %d and %d", n, lo, MaxHops)
	case n > MaxHops:
		return kg.OverLimit(field, "maxHops is %d; it must be between %d and %d", n, lo, MaxHops)
	}
	return nil
}

// Words splits text into the words a search matches: runs of letters and digits, lower-cased,
// each once, in order.
func Words(text string) []string {
	fields := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	seen := make(map[string]bool, len(fields))
	out := fields[:0]
	for _, w := range fields {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// SearchCursor is the decoded position of a search page: the last hit's score and id.
type SearchCursor struct {
	Score float64
	ID    string
}

// After returns the decoded cursor of a checked SearchQuery, or nil on the first page.
func (q SearchQuery) After() *SearchCursor {
	if len(q.Page.Key) != 2 {
		return nil
	}
	score, _ := strconv.ParseFloat(q.Page.Key[0], 64) // Checked made sure it parses
	return &SearchCursor{Score: score, ID: q.Page.Key[1]}
}

// SearchCursorOf is the cursor of a search hit.
func SearchCursorOf(h SearchHit) string {
	return EncodeCursor(strconv.FormatFloat(h.Score, 'g', -1, 64), h.Entity.ID)
}

// Entities checks the ids and resolves the date.
func (c *Checked) Entities(ctx context.Context, ids []string, asOf kg.Date) (map[string]kg.Entity, error) {
	ids, err := checkIDs("ids", ids)
	if err != nil {
		return nil, err
	}
	return c.s.Entities(ctx, ids, ResolveAsOf(asOf))
}

// List checks the kind, filter and page and resolves the date.
func (c *Checked) List(ctx context.Context, q ListQuery) (EntityPage, error) {
	var err error
	if q.Page, err = CheckPage(q.Page, 1); err != nil {
		return EntityPage{}, err
	}
	if err := checkKind("kind", q.Kind); err != nil {
		return EntityPage{}, err
	}
	if err := checkText("filter.nameContains", q.Filter.NameContains); err != nil {
		return EntityPage{}, err
	}
	if rf := q.Filter.Related; rf != nil {
		if !rf.Type.Valid() {
			return EntityPage{}, kg.Invalid("filter.related.type", "unknown relationship type %q", rf.Type)
		}
		if rf.Direction != kg.Out && rf.Direction != kg.In {
			return EntityPage{}, kg.Invalid("filter.related.direction", "direction %q: use OUT or IN", rf.Direction)
		}
		if err := kg.CheckEntityID("filter.related.entityId", rf.EntityID); err != nil {
			return EntityPage{}, err
		}
	}
	q.AsOf = ResolveAsOf(q.AsOf)
	return c.s.List(ctx, q)
}

// Search checks the text, kinds and page, splits the text into Words and resolves the date.
func (c *Checked) Search(ctx context.Context, q SearchQuery) (SearchPage, error) {
	var err error
	if q.Page, err = CheckPage(q.Page, 2); err != nil {
		return SearchPage{}, err
	}
	if q.Page.Key != nil {
		if _, err := strconv.ParseFloat(q.Page.Key[0], 64); err != nil {
			return SearchPage{}, kg.Invalid("after", "cursor %q was not issued by this API; pass an endCursor you were given", q.Page.After)
		}
	}
	for i, k := range q.Kinds {
		if err := checkKind(fmt.Sprintf("kinds[%d]", i), k); err != nil {
			return SearchPage{}, err
		}
	}
	if err := checkText("text", q.Text); err != nil {
		return SearchPage{}, err
	}
	q.Words = Words(q.Text)
	switch {
	case len(q.Words) == 0:
		return SearchPage{}, kg.Invalid("text", "give at least one word to search for")
	case len(q.Words) > MaxSearchWords:
		return SearchPage{}, kg.OverLimit("text", "%d words to search for; the limit is %d", len(q.Words), MaxSearchWords)
	}
	q.AsOf = ResolveAsOf(q.AsOf)
	return c.s.Search(ctx, q)
}

// Relationships checks the ids, direction, types and page and resolves the date.
func (c *Checked) Relationships(ctx context.Context, q RelQuery) (map[string]RelPage, error) {
	var err error
	if q.EntityIDs, err = checkIDs("entityIds", q.EntityIDs); err != nil {
		return nil, err
	}
	if q.Direction, err = checkDirection("direction", q.Direction); err != nil {
		return nil, err
	}
	if err := checkTypes("types", q.Types); err != nil {
		return nil, err
	}
	if q.Page, err = CheckPage(q.Page, 1); err != nil {
		return nil, err
	}
	q.AsOf = ResolveAsOf(q.AsOf)
	return c.s.Relationships(ctx, q)
}

// Signals checks the ids and resolves the date.
func (c *Checked) Signals(ctx context.Context, entityIDs []string, asOf kg.Date) (map[string][]kg.RiskSignal, error) {
	ids, err := checkIDs("entityIds", entityIDs)
	if err != nil {
		return nil, err
	}
	return c.s.Signals(ctx, ids, ResolveAsOf(asOf))
}

// Neighbourhood checks the roots, hops, entity cap and steps and resolves the date.
func (c *Checked) Neighbourhood(ctx context.Context, q NeighbourhoodQuery) (kg.Snapshot, error) {
	var err error
	if q.Roots, err = checkIDs("roots", q.Roots); err != nil {
		return kg.Snapshot{}, err
	}
	if err := checkHops("maxHops", q.MaxHops, 0); err != nil {
		return kg.Snapshot{}, err
	}
	if q.MaxEntities < 0 {
		return kg.Snapshot{}, kg.Invalid("maxEntities", "maxEntities is %d; it must not be negative", q.MaxEntities)
	}
	steps := make([]Step, len(q.Steps))
	for i, st := range q.Steps {
		if !st.Type.Valid() {
			return kg.Snapshot{}, kg.Invalid(fmt.Sprintf("steps[%d].type", i), "unknown relationship type %q", st.Type)
		}
		if st.Direction, err = checkDirection(fmt.Sprintf("steps[%d].direction", i), st.Direction); err != nil {
			return kg.Snapshot{}, err
		}
		steps[i] = st
	}
	q.Steps = steps
	q.AsOf = ResolveAsOf(q.AsOf)
	return c.s.Neighbourhood(ctx, q)
}

// Paths checks the endpoints, hops, count and types, fills in their defaults and resolves
// the date.
func (c *Checked) Paths(ctx context.Context, q PathQuery) ([]Path, error) {
	if err := kg.CheckEntityID("fromId", q.From); err != nil {
		return nil, err
	}
	if err := kg.CheckEntityID("toId", q.To); err != nil {
		return nil, err
	}
	if q.MaxHops == 0 {
		q.MaxHops = DefaultPathHops
	}
	if err := checkHops("maxHops", q.MaxHops, 1); err != nil {
		return nil, err
	}
	switch {
	case q.First == 0:
		q.First = DefaultPathFirst
	case q.First < 0:
		return nil, kg.Invalid("first", "first is %d; it must be between 1 and %d", q.First, MaxPathFirst)
	case q.First > MaxPathFirst:
		return nil, kg.OverLimit("first", "first is %d; it must be between 1 and %d", q.First, MaxPathFirst)
	}
	if err := checkTypes("types", q.Types); err != nil {
		return nil, err
	}
	q.AsOf = ResolveAsOf(q.AsOf)
	return c.s.Paths(ctx, q)
}

// Snapshot resolves the date.
func (c *Checked) Snapshot(ctx context.Context, asOf kg.Date) (kg.Snapshot, error) {
	return c.s.Snapshot(ctx, ResolveAsOf(asOf))
}

// Export needs no checks.
func (c *Checked) Export(ctx context.Context) (kg.Batch, error) { return c.s.Export(ctx) }

// Apply validates every row of the batch (kg.Batch.Validate) and gives it its stored form.
func (c *Checked) Apply(ctx context.Context, b kg.Batch) (WriteResult, error) {
	if err := b.Validate(); err != nil {
		return WriteResult{}, err
	}
	return c.s.Apply(ctx, normalize(b))
}

// normalize gives a validated batch its stored form: a relationship's Confidence 0 ("means
// 1") becomes 1, so backends and readers never see 0. Everything else is kept as written.
func normalize(b kg.Batch) kg.Batch {
	for i, r := range b.Relationships {
		if r.Confidence == 0 {
			b.Relationships = slices.Clone(b.Relationships)
			for j := i; j < len(b.Relationships); j++ {
				b.Relationships[j].Confidence = b.Relationships[j].EffectiveConfidence()
			}
			break
		}
	}
	return b
}

// Retract needs a date, and passes each id once.
func (c *Checked) Retract(ctx context.Context, ids []string, on kg.Date) (WriteResult, error) {
	if on == 0 {
		return WriteResult{}, kg.Invalid("on", "a retraction needs a date")
	}
	if len(ids) > MaxIDs {
		return WriteResult{}, kg.OverLimit("ids", "%d ids in one retraction; the limit is %d", len(ids), MaxIDs)
	}
	seen := make(map[string]bool, len(ids))
	uniq := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	return c.s.Retract(ctx, uniq, on)
}

// Ping asks the backend.
func (c *Checked) Ping(ctx context.Context) error { return c.s.Ping(ctx) }

// Close closes the backend.
func (c *Checked) Close() error { return c.s.Close() }
