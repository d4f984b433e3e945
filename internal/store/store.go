// Package store owns the storage contract: the Store interface every backend implements,
// its query options, opaque keyset cursors and the sentinel errors callers test with errors.Is.
// Behaviour is pinned down by the conformance suite in storetest.
package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"riskgraph/internal/kg"
)

// Sentinel errors. Backends wrap them with context; callers test with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrInvalid     = kg.ErrInvalid // bad input: a kg.ValidationError says which field and why
	ErrUnavailable = errors.New("store unavailable")
)

// Page sizes.
const (
	DefaultFirst = 20
	MaxFirst     = 1000
)

// Page asks for up to First items after the opaque cursor After ("" = from the start).
type Page struct {
	First int
	After string
}

// Normalize fills in the default size and rejects sizes out of range.
func (p Page) Normalize() (Page, error) {
	switch {
	case p.First == 0:
		p.First = DefaultFirst
	case p.First < 0 || p.First > MaxFirst:
		return p, kg.Invalid("first", "first is %d; it must be between 1 and %d", p.First, MaxFirst)
	}
	return p, nil
}

// EncodeCursor makes an opaque cursor from the sort key of the last item of a page.
// In List and Relationships the sort key is the item's id alone, so the cursor of any item
// there is EncodeCursor(id): the API hands it out per edge.
func EncodeCursor(key ...string) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor, expecting n key parts.
func DecodeCursor(c string, n int) ([]string, error) {
	var key []string
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		err = json.Unmarshal(b, &key)
	}
	if err != nil || len(key) != n {
		return nil, kg.Invalid("after", "cursor %q was not issued by this API; pass an endCursor you were given", c)
	}
	return key, nil
}

// Direction is which way a relationship is walked from an entity.
type Direction string

// Directions.
const (
	Out  Direction = "OUT"  // along the relationship: the entity is its From
	In   Direction = "IN"   // against it: the entity is its To
	Both Direction = "BOTH" // either
)

// Filter narrows a list of entities. The zero Filter keeps everything.
type Filter struct {
	// NameContains keeps entities whose name or an alias contains it, ignoring case.
	NameContains string
	// Related keeps entities joined to Related.EntityID by a relationship of Related.Type,
	// walked in Related.Direction from the listed entity (e.g. vendors HEADQUARTERED_IN Out government:russia).
	Related *RelatedFilter
}

// RelatedFilter is the relationship condition of a Filter.
type RelatedFilter struct {
	Type      kg.RelType
	Direction Direction // Out or In
	EntityID  string
}

// ListQuery lists entities, ordered by id, with keyset pagination.
type ListQuery struct {
	Kind   kg.Kind // "" = all kinds
	Filter Filter
	AsOf   kg.Date // only entities valid at this date; 0 means today
	Page   Page
}

// EntityPage is one page of entities.
type EntityPage struct {
	Items     []kg.Entity
	HasNext   bool
	EndCursor string // cursor of the last item; "" when the page is empty
}

// SearchQuery finds entities by free text over names, aliases and descriptions.
type SearchQuery struct {
	Text  string
	Kinds []kg.Kind // none = all kinds
	AsOf  kg.Date
	Page  Page
}

// SearchHit is one search result; higher Score is a better match.
type SearchHit struct {
	Entity kg.Entity
	Score  float64
}

// SearchPage is one page of search hits, best first (ties by id).
type SearchPage struct {
	Items     []SearchHit
	HasNext   bool
	EndCursor string
}

// RelQuery reads the relationships of many entities at once (one call per dataloader batch).
type RelQuery struct {
	EntityIDs []string
	Direction Direction    // "" = Both
	Types     []kg.RelType // none = all types
	AsOf      kg.Date
	Page      Page // applied per entity; relationships are ordered by their id
}

// RelPage is one entity's page of relationships.
type RelPage struct {
	Items     []kg.Relationship
	HasNext   bool
	EndCursor string
}

// Step is one (relationship type, direction) a neighbourhood walk may take from an entity.
type Step struct {
	Type      kg.RelType
	Direction Direction // Out, In or Both
}

// NeighbourhoodQuery reads everything within MaxHops of the roots, walking only Steps.
type NeighbourhoodQuery struct {
	Roots       []string
	Steps       []Step // none = every type, both directions
	MaxHops     int    // 0..6
	AsOf        kg.Date
	MaxEntities int // 0 = no cap; past the cap the read fails with ErrInvalid ("neighbourhood too large")
}

// MaxHops is the largest hop count any traversal accepts.
const MaxHops = 6

// PathQuery asks for simple paths (no entity twice) between two entities, ignoring direction.
type PathQuery struct {
	From, To string
	MaxHops  int          // 1..MaxHops
	Types    []kg.RelType // none = all types
	AsOf     kg.Date
	Limit    int // at most this many paths; 0 = 10
}

// Path is a walk from PathQuery.From to PathQuery.To: EntityIDs has one more element than
// Relationships, and Relationships[i] joins EntityIDs[i] and EntityIDs[i+1] in either direction.
type Path struct {
	EntityIDs     []string
	Relationships []kg.Relationship
}

// WriteResult says what a write did, by id.
type WriteResult struct {
	Created   []string
	Updated   []string
	Unchanged []string
}

// Store is the only way the rest of riskgraph reads and writes the graph.
//
// Visibility: at date D a fact is visible when its validity holds at D; a relationship or
// signal also needs its entities visible at D. An AsOf of 0 means today.
type Store interface {
	// Apply validates and writes a batch atomically: all rows, or none and an error.
	// Rows are upserts keyed by id; relationship and signal endpoints must exist in the store
	// or in the batch (else ErrInvalid).
	Apply(ctx context.Context, b kg.Batch) (WriteResult, error)
	// Retract ends the validity of the entities, relationships or signals with these ids on
	// date on (their validTo becomes on). Unknown ids give ErrNotFound and change nothing.
	Retract(ctx context.Context, ids []string, on kg.Date) (WriteResult, error)

	// Entities returns the entities with these ids visible at asOf, keyed by id; missing ids are absent.
	Entities(ctx context.Context, ids []string, asOf kg.Date) (map[string]kg.Entity, error)
	// List pages through entities ordered by id.
	List(ctx context.Context, q ListQuery) (EntityPage, error)
	// Search finds entities by text, best match first.
	Search(ctx context.Context, q SearchQuery) (SearchPage, error)
	// Relationships returns a page of relationships for each entity in q.EntityIDs.
	Relationships(ctx context.Context, q RelQuery) (map[string]RelPage, error)
	// Signals returns the risk signals visible at asOf on each of these entities, ordered by id.
	Signals(ctx context.Context, entityIDs []string, asOf kg.Date) (map[string][]kg.RiskSignal, error)
	// Neighbourhood returns the entities within q.MaxHops of q.Roots, the relationships walked
	// between them, and their signals, all visible at q.AsOf.
	Neighbourhood(ctx context.Context, q NeighbourhoodQuery) (kg.Snapshot, error)
	// Paths returns up to q.Limit simple paths, shortest first.
	Paths(ctx context.Context, q PathQuery) ([]Path, error)
	// Snapshot returns every fact visible at asOf.
	Snapshot(ctx context.Context, asOf kg.Date) (kg.Snapshot, error)
	// Export returns every stored fact, whatever its validity, each list ordered by id: the
	// batch that, written into an empty store, makes it hold what this one holds.
	Export(ctx context.Context) (kg.Batch, error)

	// Ping reports whether the store can serve requests (ErrUnavailable when not).
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// ResolveAsOf turns the zero date into today.
func ResolveAsOf(d kg.Date) kg.Date {
	if d == 0 {
		return kg.Today()
	}
	return d
}

// CheckHops rejects a hop count outside 0..MaxHops.
func CheckHops(field string, n int) error {
	if n < 0 || n > MaxHops {
		return kg.Invalid(field, "maxHops is %d; it must be between 0 and %d", n, MaxHops)
	}
	return nil
}

// Check rejects a neighbourhood query no backend can answer: hops outside 0..MaxHops, a
// negative entity cap, or a step with an unknown type or direction.
func (q NeighbourhoodQuery) Check() error {
	if err := CheckHops("maxHops", q.MaxHops); err != nil {
		return err
	}
	if q.MaxEntities < 0 {
		return kg.Invalid("maxEntities", "maxEntities is %d; it must not be negative", q.MaxEntities)
	}
	for i, st := range q.Steps {
		if !st.Type.Valid() {
			return kg.Invalid(fmt.Sprintf("steps[%d].type", i), "unknown relationship type %q", st.Type)
		}
		switch st.Direction {
		case Out, In, Both, "":
		default:
			return kg.Invalid(fmt.Sprintf("steps[%d].direction", i), "direction %q: want OUT, IN or BOTH", st.Direction)
		}
	}
	return nil
}

// DefaultPathLimit is how many paths a PathQuery with Limit 0 returns.
const DefaultPathLimit = 10

// Check rejects a paths query no backend can answer: hops outside 1..MaxHops, a negative
// limit, or an unknown relationship type.
func (q PathQuery) Check() error {
	if q.MaxHops < 1 || q.MaxHops > MaxHops {
		return kg.Invalid("maxHops", "maxHops is %d; it must be between 1 and %d", q.MaxHops, MaxHops)
	}
	if q.Limit < 0 {
		return kg.Invalid("limit", "limit is %d; it must not be negative", q.Limit)
	}
	for i, t := range q.Types {
		if !t.Valid() {
			return kg.Invalid(fmt.Sprintf("types[%d]", i), "unknown relationship type %q", t)
		}
	}
	return nil
}

// EffectiveLimit is q.Limit, or DefaultPathLimit when it is 0.
func (q PathQuery) EffectiveLimit() int {
	if q.Limit == 0 {
		return DefaultPathLimit
	}
	return q.Limit
}
