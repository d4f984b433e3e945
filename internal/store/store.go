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
	"strings"

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
	// DefaultMatchTargets and MaxMatchTargets bound what MatchTargets retrieves for one
	// candidate; MaxMatchNames bounds its names (name and aliases).
	DefaultMatchTargets = 100
	MaxMatchTargets     = 500
	MaxMatchNames       = 20
	// MaxKeyPostings: a search key more entities than this share is too common to retrieve by.
	MaxKeyPostings = 50_000
)

// Page asks for up to First items after the opaque cursor After ("" = from the start).
type Page struct {
	First int    // 0 means DefaultFirst
	After string // a cursor handed out by an earlier page
	// Key is After decoded into its sort key. Checked fills it in, so backends never decode.
	Key []string
}

// EncodeCursor makes an opaque cursor from the sort key of the last item of a page.
// In Relationships, and List by id, the sort key is the item's id alone, so the cursor of any
// item there is EncodeCursor(id): the API hands it out per edge (see ListCursor).
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

// At is the moment a read answers for: facts valid on AsOf (valid time), as recorded at
// KnownAt (recorded time; 0 means as known now, with everything recorded so far).
type At struct {
	AsOf    kg.Date
	KnownAt kg.Stamp
}

// AsOf is the moment "on day d, as known now".
func AsOf(d kg.Date) At { return At{AsOf: d} }

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

// ListOrder is the order List returns entities in.
type ListOrder string

// Orders of List.
const (
	// ByID orders entities by id; the zero ListOrder means ByID.
	ByID ListOrder = "ID"
	// ByName orders entities by their name at the moment read, ignoring case (NameOrderKey),
	// ties by id.
	ByName ListOrder = "NAME"
)

// NameOrderKey is what ByName sorts a name by: the name in lower case, compared byte by byte
// (Unicode code point order).
func NameOrderKey(name string) string { return strings.ToLower(name) }

// ListCursor is the cursor of e in a List page in order o: its sort key, as EncodeCursor
// makes it (the id alone by id; the name key and the id by name).
func ListCursor(o ListOrder, e kg.Entity) string {
	if o == ByName {
		return EncodeCursor(NameOrderKey(e.Name), e.ID)
	}
	return EncodeCursor(e.ID)
}

// ListQuery lists entities in Order, with keyset pagination.
type ListQuery struct {
	Kind    kg.Kind // "" = all kinds
	Filter  Filter
	Order   ListOrder // ByID when empty; Checked sets it
	AsOf    kg.Date   // only entities valid at this date; 0 means today
	KnownAt kg.Stamp  // as recorded then; 0 means now
	Page    Page
}

// EntityPage is one page of entities.
type EntityPage struct {
	Items     []kg.Entity
	HasNext   bool
	EndCursor string // cursor of the last item; "" when the page is empty
}

// SearchQuery finds entities by free text over names, aliases and descriptions.
type SearchQuery struct {
	Text    string
	Kinds   []kg.Kind // none = all kinds
	AsOf    kg.Date
	KnownAt kg.Stamp
	Page    Page
	// Words are Text's distinct words, lower-cased, in order. Checked fills them in.
	Words []string
}

// MatchQuery asks for the entities whose names most likely are the candidate's: those that
// share search keys (match.Keys) with its name or aliases, ranked by the summed weight of the
// keys they share (match.KeyWeight).
type MatchQuery struct {
	Names   []string // the candidate's name and aliases
	AsOf    kg.Date
	KnownAt kg.Stamp
	Limit   int // 1..MaxMatchTargets; 0 means DefaultMatchTargets
	// Keys are the distinct search keys of Names, sorted. Checked fills them in.
	Keys []string
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
	KnownAt   kg.Stamp
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
	KnownAt     kg.Stamp
	MaxEntities int // 0 = no cap; past the cap the read fails with ErrInvalid ("neighbourhood too large")
	// Lean leaves the entities' content out: each carries only its id and kind (relationships
	// and signals are whole), in no particular order. The risk engine needs no more, and a
	// neighbourhood of ten thousand entities is then not read and sent in full.
	Lean bool
	// SignalWalks asks for only the part of the neighbourhood that can bring risk to the
	// roots: the roots, and the entities and relationships on a walk of at most MaxHops
	// steps that starts at an entity carrying a signal (of SignalDimensions; none = any)
	// and ends at a root (see SignalWalkCut). A backend may return more, never less.
	SignalWalks      bool
	SignalDimensions []kg.Dimension
}

// PathQuery asks for simple paths (no entity twice) between two entities, ignoring direction.
type PathQuery struct {
	From, To string
	MaxHops  int          // 1..MaxHops; 0 means DefaultPathHops
	Types    []kg.RelType // none = all types
	AsOf     kg.Date
	KnownAt  kg.Stamp
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
// Visibility at (AsOf, KnownAt): a fact is visible when, among its versions recorded at
// KnownAt (kg.Version.KnownAt), one holds on AsOf; the fact reads as that version (kg.View).
// A relationship or signal also needs its entities visible at the same moment.
type Reader interface {
	// Entities returns the entities with these ids visible at at, keyed by id; missing ids are absent.
	Entities(ctx context.Context, ids []string, at At) (map[string]kg.Entity, error)
	// List pages through entities in q.Order.
	List(ctx context.Context, q ListQuery) (EntityPage, error)
	// Search finds entities by text, best match first.
	Search(ctx context.Context, q SearchQuery) (SearchPage, error)
	// MatchTargets returns up to q.Limit entities visible at (q.AsOf, q.KnownAt) that share
	// at least one of q.Keys, by summed key weight (match.KeyWeight with the key's document
	// frequency among all entities), ties by id. Keys held by more than MaxKeyPostings
	// entities may be skipped: they weigh almost nothing.
	MatchTargets(ctx context.Context, q MatchQuery) ([]kg.Entity, error)
	// Relationships returns a page of relationships for each entity in q.EntityIDs.
	Relationships(ctx context.Context, q RelQuery) (map[string]RelPage, error)
	// Tree reads the roots and the nested pages of relationships below them (see TreeQuery),
	// keyed by root id; roots not visible are absent.
	Tree(ctx context.Context, q TreeQuery) (map[string]TreeNode, error)
	// RelationshipsByID returns the relationships with these ids visible at at.
	RelationshipsByID(ctx context.Context, ids []string, at At) (map[string]kg.Relationship, error)
	// Signals returns the risk signals visible at at on each of these entities, ordered by id.
	Signals(ctx context.Context, entityIDs []string, at At) (map[string][]kg.RiskSignal, error)
	// SignalsByID returns the signals with these ids visible at at.
	SignalsByID(ctx context.Context, ids []string, at At) (map[string]kg.RiskSignal, error)
	// Neighbourhood returns the entities within q.MaxHops of q.Roots, the relationships walked
	// between them, and their signals, all visible at (q.AsOf, q.KnownAt), in no particular
	// order.
	Neighbourhood(ctx context.Context, q NeighbourhoodQuery) (kg.Snapshot, error)
	// Paths returns up to q.First simple paths, shortest first.
	Paths(ctx context.Context, q PathQuery) ([]Path, error)
	// Snapshot returns every fact visible at at.
	Snapshot(ctx context.Context, at At) (kg.Snapshot, error)
	// History returns every recorded row of the facts with these ids (entities,
	// relationships or signals), superseded ones included, as an archive batch: each row
	// with its Version, RecordedBy filled in; ordered by id, then recorded time, then valid
	// time. Unknown ids are absent.
	History(ctx context.Context, ids []string) (kg.Batch, error)
	// Exists returns which of these ids name a fact ever recorded, whatever its dates.
	Exists(ctx context.Context, ids []string) (map[string]bool, error)
	// Export returns the history of every stored fact (as History does): the archive that,
	// applied to an empty store, makes it hold and answer exactly what this one does.
	Export(ctx context.Context) (kg.Batch, error)
}

// Writer is every write a backend makes. Like queries, writes reach a backend through
// Checked: the batch has passed kg.Batch.Validate, every id it refers to exists (in the
// store or the batch), and confidences are normalised.
type Writer interface {
	// Apply writes a batch atomically, as one write recorded by the writer named by: all
	// of it, or none and an error. Rows are upserts keyed by id (kg.Upsert), corrections
	// (kg.Correct) for the ids b.Corrections lists, and retractions (kg.Retract). An archive
	// batch (kg.Batch.IsArchive) is restored as recorded: its facts must be new to the store,
	// or hold exactly those rows already (then they are Unchanged).
	Apply(ctx context.Context, b kg.Batch, by string) (WriteResult, error)
}

// A Bulker is a backend that can share work between the Apply calls of one bulk load
// (Checked.Load): what one call learns, such as where the entities it wrote are, saves the
// next calls a lookup. Bulk returns a Writer for one load's calls, safe for concurrent use;
// each of its Apply calls is as atomic and as checked as the backend's own.
type Bulker interface {
	Bulk() Writer
}

// SoleWriter is implemented by a backend whose data only this process changes (the embedded
// store holds its file's lock): what the process derives from the data then stays true until
// its own next write, so it may keep derived results, such as a whole-graph risk pass, for
// later reads. A Neo4j database has other writers, so its backend does not claim this.
type SoleWriter interface {
	SoleWriter() bool
}

// Walker is implemented by a backend that can hand over every fact visible at a moment one
// at a time, without building a snapshot of all of them: at a million entities a snapshot
// is gigabytes. See Checked.Walk, which falls back on Snapshot for other backends.
type Walker interface {
	Walk(ctx context.Context, at At, v FactVisitor) error
}

// FactVisitor receives the facts of a walk: every entity, then every relationship (with its
// id), then every signal, each group in no particular order. A nil function skips its group;
// an error ends the walk with it.
type FactVisitor struct {
	// Sizes, when set, hears first how many entities and relationships the walk may hand
	// over at most (all those stored), so a visitor can size what it builds.
	Sizes        func(entities, relationships int)
	Entity       func(kg.Entity) error
	Relationship func(id string, r kg.Relationship) error
	// SkipIDs has the walk hand Relationship "" for the id: a visitor that needs the ids of
	// a few relationships builds them with r.ID(), and the walk builds no id for the
	// millions it does not need.
	SkipIDs bool
	// RelationshipBetween, when set with Entity, may be called instead of Relationship: it
	// names the relationship's ends by the order in which Entity received them (0 for the
	// first), which spares the visitor a lookup of each end by id. A walker that does not
	// number its entities calls Relationship.
	RelationshipBetween func(from, to int, r kg.Relationship) error
	Signal              func(kg.RiskSignal) error
}

// Versioned is implemented by a backend that other processes may write but that can say,
// in one small read, whether its facts changed: DataVersion returns a value that differs
// after every write, from any process, that changed a fact. Compare versions for equality
// only. A result derived from the facts, read after version v was returned, is current for as
// long as DataVersion still returns v.
type Versioned interface {
	DataVersion(ctx context.Context) (string, error)
}

// Store is a backend: its reads and writes, and its lifecycle.
type Store interface {
	Reader
	Writer
	Snapshots
	// Ping reports whether the store can serve requests (ErrUnavailable when not).
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
