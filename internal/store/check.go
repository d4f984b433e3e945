package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"riskgraph/internal/kg"
	"riskgraph/internal/match"
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

// checkIDs rejects a read naming more than MaxIDs ids and returns the entity ids among
// them, each once, in order. A malformed id cannot name a stored entity, so it is simply
// absent from the answer, like any id that names nothing.
func checkIDs(field string, ids []string) ([]string, error) {
	return checkIDsOf(field, ids, func(id string) bool { return kg.CheckEntityID("", id) == nil })
}

// checkIDsOf is checkIDs for ids of the kind well reports.
func checkIDsOf(field string, ids []string, well func(string) bool) ([]string, error) {
	if len(ids) > MaxIDs {
		return nil, kg.OverLimit(field, "%d ids in one read; the limit is %d", len(ids), MaxIDs)
	}
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] && well(id) {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

func isRelationshipID(id string) bool { _, _, _, ok := kg.ParseRelationshipID(id); return ok }

func isSignalID(id string) bool {
	return strings.HasPrefix(id, kg.SignalIDPrefix) && kg.CheckFactID("", id) == nil
}

func isFactID(id string) bool { return kg.CheckFactID("", id) == nil }

// checkAt resolves the date of a moment and rejects a negative recorded time.
func checkAt(at At) (At, error) {
	if at.KnownAt < 0 {
		return at, kg.Invalid("knownAt", "knownAt %d is before 1970", at.KnownAt)
	}
	at.AsOf = ResolveAsOf(at.AsOf)
	return at, nil
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

// Entities checks the ids and the moment.
func (c *Checked) Entities(ctx context.Context, ids []string, at At) (map[string]kg.Entity, error) {
	ids, err := checkIDs("ids", ids)
	if err != nil {
		return nil, err
	}
	if at, err = checkAt(at); err != nil {
		return nil, err
	}
	return c.s.Entities(ctx, ids, at)
}

// RelationshipsByID checks the ids and the moment.
func (c *Checked) RelationshipsByID(ctx context.Context, ids []string, at At) (map[string]kg.Relationship, error) {
	ids, err := checkIDsOf("ids", ids, isRelationshipID)
	if err != nil {
		return nil, err
	}
	if at, err = checkAt(at); err != nil {
		return nil, err
	}
	return c.s.RelationshipsByID(ctx, ids, at)
}

// SignalsByID checks the ids and the moment.
func (c *Checked) SignalsByID(ctx context.Context, ids []string, at At) (map[string]kg.RiskSignal, error) {
	ids, err := checkIDsOf("ids", ids, isSignalID)
	if err != nil {
		return nil, err
	}
	if at, err = checkAt(at); err != nil {
		return nil, err
	}
	return c.s.SignalsByID(ctx, ids, at)
}

// History checks the ids.
func (c *Checked) History(ctx context.Context, ids []string) (kg.Batch, error) {
	ids, err := checkIDsOf("ids", ids, isFactID)
	if err != nil {
		return kg.Batch{}, err
	}
	return c.s.History(ctx, ids)
}

// Exists checks the ids.
func (c *Checked) Exists(ctx context.Context, ids []string) (map[string]bool, error) {
	ids, err := checkIDsOf("ids", ids, isFactID)
	if err != nil {
		return nil, err
	}
	return c.s.Exists(ctx, ids)
}

// List checks the order, kind, filter and page and resolves the date.
func (c *Checked) List(ctx context.Context, q ListQuery) (EntityPage, error) {
	var err error
	keyParts := 1
	switch q.Order {
	case "":
		q.Order = ByID
	case ByID:
	case ByName:
		keyParts = 2
	default:
		return EntityPage{}, kg.Invalid("orderBy", "unknown order %q: use ID or NAME", q.Order)
	}
	if q.Page, err = CheckPage(q.Page, keyParts); err != nil {
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
	if q.AsOf, q.KnownAt, err = checkMoment(q.AsOf, q.KnownAt); err != nil {
		return EntityPage{}, err
	}
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
	if q.AsOf, q.KnownAt, err = checkMoment(q.AsOf, q.KnownAt); err != nil {
		return SearchPage{}, err
	}
	return c.s.Search(ctx, q)
}

// MatchTargets checks the names and the limit, resolves the date and computes the keys.
func (c *Checked) MatchTargets(ctx context.Context, q MatchQuery) ([]kg.Entity, error) {
	switch {
	case len(q.Names) == 0:
		return nil, kg.Invalid("name", "give a name to match")
	case len(q.Names) > MaxMatchNames:
		return nil, kg.OverLimit("aliases", "%d names to match; the limit is %d", len(q.Names), MaxMatchNames)
	case q.Limit < 0 || q.Limit > MaxMatchTargets:
		return nil, kg.Invalid("limit", "limit %d must be between 1 and %d", q.Limit, MaxMatchTargets)
	case q.Limit == 0:
		q.Limit = DefaultMatchTargets
	}
	keys := map[string]bool{}
	for i, n := range q.Names {
		field := "name"
		if i > 0 {
			field = fmt.Sprintf("aliases[%d]", i-1)
		}
		if err := checkText(field, n); err != nil {
			return nil, err
		}
		for _, k := range match.Keys(n) {
			keys[k] = true
		}
	}
	q.Keys = slices.Sorted(maps.Keys(keys))
	var err error
	if q.AsOf, q.KnownAt, err = checkMoment(q.AsOf, q.KnownAt); err != nil {
		return nil, err
	}
	if len(q.Keys) == 0 {
		return nil, nil // a name of punctuation only: nothing to look up
	}
	return c.s.MatchTargets(ctx, q)
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
	if q.AsOf, q.KnownAt, err = checkMoment(q.AsOf, q.KnownAt); err != nil {
		return nil, err
	}
	return c.s.Relationships(ctx, q)
}

// Tree checks the roots, the moment, every branch as Relationships checks its query, and
// the tree's size.
func (c *Checked) Tree(ctx context.Context, q TreeQuery) (map[string]TreeNode, error) {
	q, err := checkTree(q)
	if err != nil {
		return nil, err
	}
	return c.s.Tree(ctx, q)
}

// Signals checks the ids and the moment.
func (c *Checked) Signals(ctx context.Context, entityIDs []string, at At) (map[string][]kg.RiskSignal, error) {
	ids, err := checkIDs("entityIds", entityIDs)
	if err != nil {
		return nil, err
	}
	if at, err = checkAt(at); err != nil {
		return nil, err
	}
	return c.s.Signals(ctx, ids, at)
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
	if q.AsOf, q.KnownAt, err = checkMoment(q.AsOf, q.KnownAt); err != nil {
		return kg.Snapshot{}, err
	}
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
	var err error
	if q.AsOf, q.KnownAt, err = checkMoment(q.AsOf, q.KnownAt); err != nil {
		return nil, err
	}
	return c.s.Paths(ctx, q)
}

// Snapshot checks the moment.
func (c *Checked) Snapshot(ctx context.Context, at At) (kg.Snapshot, error) {
	at, err := checkAt(at)
	if err != nil {
		return kg.Snapshot{}, err
	}
	return c.s.Snapshot(ctx, at)
}

// Walk hands v every fact visible at at (see FactVisitor): from the backend's own walk when
// it has one (Walker), else from a snapshot.
func (c *Checked) Walk(ctx context.Context, at At, v FactVisitor) error {
	at, err := checkAt(at)
	if err != nil {
		return err
	}
	if w, ok := c.s.(Walker); ok {
		return w.Walk(ctx, at, v)
	}
	snap, err := c.s.Snapshot(ctx, at)
	if err != nil {
		return err
	}
	if v.Sizes != nil {
		v.Sizes(len(snap.Entities), len(snap.Relationships))
	}
	for _, e := range snap.Entities {
		if v.Entity != nil {
			if err := v.Entity(e); err != nil {
				return err
			}
		}
	}
	for _, r := range snap.Relationships {
		if v.Relationship != nil {
			id := ""
			if !v.SkipIDs {
				id = r.ID()
			}
			if err := v.Relationship(id, r); err != nil {
				return err
			}
		}
	}
	for _, g := range snap.Signals {
		if v.Signal != nil {
			if err := v.Signal(g); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkMoment is checkAt for the date and recorded time of a query.
func checkMoment(asOf kg.Date, knownAt kg.Stamp) (kg.Date, kg.Stamp, error) {
	at, err := checkAt(At{AsOf: asOf, KnownAt: knownAt})
	return at.AsOf, at.KnownAt, err
}

// Export needs no checks.
func (c *Checked) Export(ctx context.Context) (kg.Batch, error) { return c.s.Export(ctx) }

// DefaultWriter is who a write is recorded as written by when the caller names nobody.
const DefaultWriter = "local"

// Apply validates the batch (kg.Batch.Validate), gives it its stored form, makes sure every
// id it refers to exists, and passes it on as written by by (DefaultWriter when empty).
func (c *Checked) Apply(ctx context.Context, b kg.Batch, by string) (WriteResult, error) {
	b, err := c.checkWrite(ctx, b)
	if err != nil {
		return WriteResult{}, err
	}
	if by == "" {
		by = DefaultWriter
	}
	return c.s.Apply(ctx, b, by)
}

// checkWrite validates b, normalises it and checks that every id it refers to (relationship
// ends, signal entities, cited sources, retracted facts) is in b itself or in the store.
func (c *Checked) checkWrite(ctx context.Context, b kg.Batch) (kg.Batch, error) {
	if err := b.Validate(); err != nil {
		return b, err
	}
	b = normalize(b)
	// Only entities are referred to from within a batch: a retraction of a row the batch
	// writes is invalid, and Validate has said so.
	in := make(map[string]bool, len(b.Entities))
	for _, e := range b.Entities {
		in[e.ID] = true
	}
	type ref struct{ field, id, what string }
	var refs []ref
	need := map[string]bool{}
	refer := func(field func() string, id, what string) {
		if !in[id] && !need[id] {
			need[id] = true
			refs = append(refs, ref{field(), id, what})
		}
	}
	cite := func(field string, cs []kg.Citation) {
		for i, ct := range cs {
			refer(func() string { return fmt.Sprintf("%s[%d].source", field, i) }, ct.SourceID, "source")
		}
	}
	for i, e := range b.Entities {
		cite(fmt.Sprintf("entities[%d].sources", i), e.Sources)
		for j, o := range e.Obligations {
			cite(fmt.Sprintf("entities[%d].obligations[%d].sources", i, j), o.Sources)
		}
	}
	for i, r := range b.Relationships {
		refer(func() string { return fmt.Sprintf("relationships[%d].from", i) }, r.From, "entity")
		refer(func() string { return fmt.Sprintf("relationships[%d].to", i) }, r.To, "entity")
		cite(fmt.Sprintf("relationships[%d].sources", i), r.Sources)
	}
	for i, g := range b.Signals {
		refer(func() string { return fmt.Sprintf("signals[%d].entity", i) }, g.EntityID, "entity")
		cite(fmt.Sprintf("signals[%d].sources", i), g.Sources)
	}
	for i, r := range b.Retractions {
		refer(func() string { return fmt.Sprintf("retractions[%d].id", i) }, r.ID, "fact")
	}
	if err := c.checkObligations(ctx, b); err != nil {
		return b, err
	}
	if len(refs) == 0 {
		return b, nil
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.id
	}
	found := map[string]bool{}
	for part := range slices.Chunk(ids, MaxIDs) {
		got, err := c.s.Exists(ctx, part)
		if err != nil {
			return b, fmt.Errorf("check the ids the batch refers to: %w", err)
		}
		for id := range got {
			found[id] = true
		}
	}
	for _, r := range refs {
		if found[r.id] {
			continue
		}
		switch r.what {
		case "source":
			return b, kg.Invalid(r.field, "source %q does not exist: write it first or in the same batch", r.id)
		case "fact":
			return b, kg.Invalid(r.field, "no entity, relationship or signal %q exists to retract", r.id)
		}
		return b, kg.Invalid(r.field, "entity %q does not exist: write it first or in the same batch", r.id)
	}
	return b, nil
}

// checkObligations rejects COMPLIED_WITH relationships whose obligation no version of their
// directive or law (in the batch, or recorded) has.
func (c *Checked) checkObligations(ctx context.Context, b kg.Batch) error {
	has := map[string]map[string]bool{} // rule id → obligation ids
	note := func(e kg.Entity) {
		if has[e.ID] == nil {
			has[e.ID] = map[string]bool{}
		}
		for _, o := range e.Obligations {
			has[e.ID][o.ID] = true
		}
	}
	var stored []string
	for _, r := range b.Relationships {
		if r.Type == kg.RelCompliedWith && has[r.To] == nil && !slices.Contains(stored, r.To) {
			stored = append(stored, r.To)
		}
	}
	if len(stored) == 0 {
		return nil
	}
	for _, e := range b.Entities {
		note(e)
	}
	h, err := c.s.History(ctx, stored)
	if err != nil {
		return fmt.Errorf("read the obligations of %d rules: %w", len(stored), err)
	}
	for _, e := range h.Entities {
		note(e)
	}
	for i, r := range b.Relationships {
		if r.Type == kg.RelCompliedWith && !has[r.To][r.Obligation] {
			if has[r.To] == nil {
				continue // the endpoint check reports the missing rule
			}
			return kg.Invalid(fmt.Sprintf("relationships[%d].obligation", i), "%s has no obligation %q", r.To, r.Obligation)
		}
	}
	return nil
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

// Ping asks the backend.
func (c *Checked) Ping(ctx context.Context) error { return c.s.Ping(ctx) }

// Close closes the backend.
func (c *Checked) Close() error { return c.s.Close() }

// DataVersion is the backend's data version (see Versioned); ok is false when the backend
// keeps none.
func (c *Checked) DataVersion(ctx context.Context) (v string, ok bool, err error) {
	b, ok := c.s.(Versioned)
	if !ok {
		return "", false, nil
	}
	v, err = b.DataVersion(ctx)
	return v, true, err
}

// SoleWriter reports whether the backend is a SoleWriter that says so.
func (c *Checked) SoleWriter() bool {
	w, ok := c.s.(SoleWriter)
	return ok && w.SoleWriter()
}
