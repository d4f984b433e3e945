// Package store owns the storage contract: the small interfaces every backend implements
// (Reader, Writer, and Store for both), their query options and limits, opaque keyset
// cursors, the sentinel errors callers test with errors.Is, and Checked, the one wrapper that
// validates and normalises every query before a backend sees it. Behaviour is pinned down by
// the conformance suite in storetest.
package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"

	"riskgraph/internal/kg"
)

// Sentinel errors. Backends wrap them with context; callers test with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrInvalid     = kg.ErrInvalid // bad input: a kg.ValidationError says which field and why
	ErrLimit       = kg.ErrLimit   // input above a limit; such errors match ErrInvalid too
	ErrUnavailable = errors.New("store unavailable")
)

// Defaults and limits of queries. Checked applies them; backends rely on them.
const (
	DefaultFirst     = 20   // page size when none is given
	MaxFirst         = 1000 // largest page
	MaxHops          = 6    // longest walk of any traversal
	DefaultPathHops  = 4    // longest path when a PathQuery gives none
	DefaultPathFirst = 10   // paths returned when a PathQuery gives no count
	MaxPathFirst     = 100  // most paths one PathQuery returns
	MaxIDs           = 5000 // most ids one read may name
	MaxTextLen       = 200  // longest search text or name filter, in bytes
	MaxSearchWords   = 16   // most distinct words in a search text
)

// Page asks for up to First items after the opaque cursor After ("" = from the start).
type Page struct {
	First int    // 0 means DefaultFirst
	After string // a cursor handed out by an earlier page
	// Key is After decoded into its sort key. Checked fills it in, so backends never decode.
	Key []string
}

// EncodeCursor makes an opaque cursor from the sort key of the last item of a page.
// In List and Relationships the sort key is the item's id alone, so the cursor of any item
// there is EncodeCursor(id): the API hands it out per edge.
func EncodeCursor(key ...string) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor made by EncodeCursor, expecting n key parts.
func decodeCursor(c string, n int) ([]string, error) {
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
	Direction kg.Direction // Out or In
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
	// Words are Text's distinct words, lower-cased, in order. Checked fills them in.
	Words []string
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
	Direction kg.Direction // "" = Both
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
	Direction kg.Direction // Out, In or Both ("" = Both)
}

// NeighbourhoodQuery reads everything within MaxHops of the roots, walking only Steps.
type NeighbourhoodQuery struct {
	Roots       []string
	Steps       []Step // none = every type, both directions
	MaxHops     int    // 0..MaxHops
	AsOf        kg.Date
	MaxEntities int // 0 = no cap; past the cap the read fails with ErrInvalid ("neighbourhood too large")
}

// PathQuery asks for simple paths (no entity twice) between two entities, ignoring direction.
type PathQuery struct {
	From, To string
	MaxHops  int          // 1..MaxHops; 0 means DefaultPathHops
	Types    []kg.RelType // none = all types
	AsOf     kg.Date
	First    int // at most this many paths, 1..MaxPathFirst; 0 means DefaultPathFirst
}

// Path is a walk from PathQuery.From to PathQuery.To: EntityIDs has one more element than
// Relationships, and Relationships[i] joins EntityIDs[i] and EntityIDs[i+1] in either direction.
type Path struct {
	EntityIDs     []string
	Relationships []kg.Relationship
}

// WriteResult says what a write did, by id.
type WriteResult = kg.WriteResult

// Reader is every read a backend answers. The queries a backend receives have passed
// Checked: defaults are filled in, dates resolved, limits applied and cursors decoded.
//
// Visibility: at date D a fact is visible when its validity holds at D; a relationship or
// signal also needs its entities visible at D.
type Reader interface {
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
	// Paths returns up to q.First simple paths, shortest first.
	Paths(ctx context.Context, q PathQuery) ([]Path, error)
	// Snapshot returns every fact visible at asOf.
	Snapshot(ctx context.Context, asOf kg.Date) (kg.Snapshot, error)
	// Export returns every stored fact, whatever its validity, each list ordered by id: the
	// batch that, written into an empty store, makes it hold what this one holds.
	Export(ctx context.Context) (kg.Batch, error)
}

// Writer is every write a backend makes. Like queries, writes reach a backend through
// Checked: a batch has passed kg.Batch.Validate and a retraction has a date.
type Writer interface {
	// Apply writes a batch atomically: all rows, or none and an error. Rows are upserts
	// keyed by id; relationship and signal endpoints must exist in the store or in the
	// batch (else ErrInvalid).
	Apply(ctx context.Context, b kg.Batch) (WriteResult, error)
	// Retract ends the validity of the entities, relationships or signals with these ids on
	// date on (their validTo becomes on). Unknown ids give ErrNotFound and change nothing.
	Retract(ctx context.Context, ids []string, on kg.Date) (WriteResult, error)
}

// Store is a backend: its reads and writes, and its lifecycle.
type Store interface {
	Reader
	Writer
	// Ping reports whether the store can serve requests (ErrUnavailable when not).
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
