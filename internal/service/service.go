// Package service owns riskgraph's use cases and is the only way into the data: resolvers,
// loaders, the report and the command line hold a *Service and nothing from below. It
// combines the store (through store.Checked, so every query is validated once) and the risk
// engine: reads and writes of facts (writes invalidate cached passes), lists, search and
// paths, one entity's exposure from its bounded upstream neighbourhood, rankings over a
// whole-graph pass, and compliance with directives.
package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"riskgraph/internal/kg"
	"riskgraph/internal/match"
	"riskgraph/internal/risk"
	"riskgraph/internal/store"
)

// Aliases of the store's query and result types, so that callers of the service need not
// import the store package.
type (
	Page          = store.Page
	ListQuery     = store.ListQuery
	ListOrder     = store.ListOrder
	Filter        = store.Filter
	RelatedFilter = store.RelatedFilter
	SearchQuery   = store.SearchQuery
	RelQuery      = store.RelQuery
	PathQuery     = store.PathQuery
	EntityPage    = store.EntityPage
	SearchPage    = store.SearchPage
	RelPage       = store.RelPage
	Path          = store.Path
	LoadOptions   = store.LoadOptions
	At            = store.At
	TreeQuery     = store.TreeQuery
	Branch        = store.Branch
	TreeNode      = store.TreeNode
	TreePage      = store.TreePage
	Projection    = store.Projection
)

// What a tree read returns of an entity (see store.Projection).
const (
	ProjectNone = store.ProjectNone
	ProjectName = store.ProjectName
	ProjectFull = store.ProjectFull
)

// AsOf is the moment "on day d, as known now".
func AsOf(d kg.Date) At { return store.AsOf(d) }

// The store's sentinel errors, for callers that do not import it.
var (
	ErrNotFound    = store.ErrNotFound
	ErrUnavailable = store.ErrUnavailable
)

// Limits of the store's reads, for callers that weigh queries before they run.
const (
	MaxIDs           = store.MaxIDs
	DefaultFirst     = store.DefaultFirst
	MaxFirst         = store.MaxFirst
	DefaultPathFirst = store.DefaultPathFirst
	MaxTreeDepth     = store.MaxTreeDepth
	// DefaultLoadBatch and DefaultLoadWorkers are the defaults of LoadOptions.
	DefaultLoadBatch   = store.DefaultLoadBatch
	DefaultLoadWorkers = store.DefaultLoadWorkers
)

// ResolveAsOf turns the zero date into today, as every read does.
func ResolveAsOf(d kg.Date) kg.Date { return store.ResolveAsOf(d) }

// Cursor is the opaque cursor of an item in a list ordered by id.
func Cursor(id string) string { return store.EncodeCursor(id) }

// ListCursor is the cursor of e in an entity list in order o.
func ListCursor(o ListOrder, e kg.Entity) string { return store.ListCursor(o, e) }

// Service runs the use cases over one store and one risk model. Safe for concurrent use.
type Service struct {
	store *store.Checked
	model *risk.Model

	gen     atomic.Uint64 // bumped by every write that changed something
	mu      sync.Mutex
	passes  map[passKey]*pass // whole-graph results by moment and hop cap, for the current data version
	passSem chan struct{}     // held by each whole-graph pass that runs

	snapMu    sync.Mutex
	snapCache []decoded // the last snapshots read, oldest first

	cmpMu    sync.Mutex
	cmpCache []keptComparison // the last listings of changes paged through, oldest first

	life context.Context // ends when the service closes: passes run under it
	stop context.CancelFunc
	// passWork counts the running pass goroutines, which Close waits for before it closes
	// the store; they start only under mu while life is live.
	passWork sync.WaitGroup
}

// New returns a Service over backend s (every call goes through store.Check) scoring with
// model m.
func New(s store.Store, m *risk.Model) *Service {
	life, stop := context.WithCancel(context.Background())
	return &Service{store: store.Check(s), model: m, passes: map[passKey]*pass{}, passSem: make(chan struct{}, maxRunningPasses), life: life, stop: stop}
}

// Model is the risk model scores are computed with.
func (s *Service) Model() *risk.Model { return s.model }

// Ping reports whether the store can serve requests.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Forget drops the finished whole-graph passes and the decoded snapshots and comparisons the
// service keeps for the reads that may follow: a job done with them (the nightly report,
// before it writes its files) gives their memory back, 1.5 GB at 1M entities. Later reads
// compute again what they need. A pass still running is kept for those waiting on it.
func (s *Service) Forget() {
	s.mu.Lock()
	for k, p := range s.passes {
		select {
		case <-p.done:
			p.evicted.Store(true)
			delete(s.passes, k)
		default:
		}
	}
	s.mu.Unlock()
	s.dropDecoded()
}

// dropPasses drops the finished whole-graph passes of these moments, as Forget drops all.
func (s *Service) dropPasses(ats ...At) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, at := range ats {
		k := passKey{At{AsOf: store.ResolveAsOf(at.AsOf), KnownAt: at.KnownAt}, s.model.HopCap()}
		if p, ok := s.passes[k]; ok {
			select {
			case <-p.done:
				p.evicted.Store(true)
				delete(s.passes, k)
			default:
			}
		}
	}
}

// dropDecoded drops the decoded snapshots and the comparisons kept for paging.
func (s *Service) dropDecoded() {
	s.snapMu.Lock()
	s.snapCache = nil
	s.snapMu.Unlock()
	s.cmpMu.Lock()
	s.cmpCache = nil
	s.cmpMu.Unlock()
}

// Close stops any whole-graph pass, drops the cached passes, snapshots and comparisons, and
// releases the store.
func (s *Service) Close() error {
	s.mu.Lock()
	s.stop()
	s.passes = map[passKey]*pass{}
	s.mu.Unlock()
	s.passWork.Wait() // no pass reads the store once it is closed
	s.dropDecoded()
	return s.store.Close()
}

// changed notes a write that changed something: cached passes are stale.
func (s *Service) changed(res kg.WriteResult) {
	if res.Changed() {
		s.gen.Add(1)
	}
}

// Role is what a caller may do: each role may do what the one before it may, and more.
type Role int

// Roles.
const (
	RoleReader Role = iota + 1 // queries
	RoleEditor                 // and writes
	RoleAdmin                  // and corrections, seeding, imports, pruning
)

// String names the role as keys files spell it.
func (r Role) String() string {
	switch r {
	case RoleReader:
		return "reader"
	case RoleEditor:
		return "editor"
	case RoleAdmin:
		return "admin"
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	for _, r := range []Role{RoleReader, RoleEditor, RoleAdmin} {
		if r.String() == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("role %q: want reader, editor or admin", s)
}

// Caller is who makes a request: an API key's name and role. A context without one is
// local (no keys configured, or a command on this machine): it may do everything, and its
// writes are recorded as written by store.DefaultWriter.
type Caller struct {
	Name string
	Role Role
}

type callerKey struct{}

// WithCaller records who makes the requests done with ctx.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerOf is the caller WithCaller recorded in ctx, and whether there is one.
func CallerOf(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// ErrForbidden is wrapped when the caller's role does not allow what it asks.
var ErrForbidden = errors.New("forbidden")

// allow reports ErrForbidden unless the caller of ctx has at least role r.
func allow(ctx context.Context, r Role, what string) error {
	if c, ok := CallerOf(ctx); ok && c.Role < r {
		return fmt.Errorf("%s needs the %s role; key %q has %s: %w", what, r, c.Name, c.Role, ErrForbidden)
	}
	return nil
}

// writer is the name writes made with ctx are recorded under.
func writer(ctx context.Context) string {
	if c, ok := CallerOf(ctx); ok {
		return c.Name
	}
	return store.DefaultWriter
}

// Apply writes a batch atomically, recorded as written by the caller of ctx: upserts,
// corrections and retractions together, all or nothing (see store.Writer). Writing needs
// the editor role; corrections and archives (which restore history) need admin.
func (s *Service) Apply(ctx context.Context, b kg.Batch) (kg.WriteResult, error) {
	if err := allow(ctx, RoleEditor, "writing"); err != nil {
		return kg.WriteResult{}, err
	}
	if len(b.Corrections) > 0 || b.IsArchive() {
		if err := allow(ctx, RoleAdmin, "correcting the past"); err != nil {
			return kg.WriteResult{}, err
		}
	}
	res, err := s.store.Apply(ctx, b, writer(ctx))
	if err != nil {
		return res, fmt.Errorf("apply batch: %w", err)
	}
	s.changed(res)
	return res, nil
}

// Load writes a large batch in many transactions (see store.Checked.Load): the bulk path
// of imports and synthetic graphs.
func (s *Service) Load(ctx context.Context, b kg.Batch, opt LoadOptions) (kg.WriteResult, error) {
	if err := allow(ctx, RoleAdmin, "a bulk load"); err != nil {
		return kg.WriteResult{}, err
	}
	res, err := s.store.Load(ctx, b, writer(ctx), opt)
	s.changed(res) // a failed load may have written part of the batch
	if err != nil {
		return res, fmt.Errorf("load batch: %w", err)
	}
	return res, nil
}

// Retract ends the facts with these ids on day on, in one write (a shorthand of Apply);
// an id given twice counts once.
func (s *Service) Retract(ctx context.Context, ids []string, on kg.Date) (kg.WriteResult, error) {
	if len(ids) == 0 {
		return kg.WriteResult{}, kg.Invalid("ids", "give at least one id to retract")
	}
	var b kg.Batch
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			b.Retractions = append(b.Retractions, kg.Retraction{ID: id, On: on})
		}
	}
	return s.Apply(ctx, b)
}

// notFound says that a fact does not exist at a moment.
func notFound(what, id string, at At) error {
	if at.KnownAt != 0 {
		return fmt.Errorf("no %s %q exists on %s as known at %s: %w", what, id, store.ResolveAsOf(at.AsOf), at.KnownAt, store.ErrNotFound)
	}
	return fmt.Errorf("no %s %q exists on %s: %w", what, id, store.ResolveAsOf(at.AsOf), store.ErrNotFound)
}

// Entity returns one entity at a moment; ErrNotFound when it does not exist then.
func (s *Service) Entity(ctx context.Context, id string, at At) (kg.Entity, error) {
	if err := kg.CheckEntityID("id", id); err != nil {
		return kg.Entity{}, err
	}
	got, err := s.store.Entities(ctx, []string{id}, at)
	if err != nil {
		return kg.Entity{}, fmt.Errorf("read entity %s: %w", id, err)
	}
	e, ok := got[id]
	if !ok {
		return kg.Entity{}, notFound("entity", id, at)
	}
	return e, nil
}

// Relationship returns one relationship at a moment; ErrNotFound when it does not hold then.
func (s *Service) Relationship(ctx context.Context, id string, at At) (kg.Relationship, error) {
	if _, _, _, ok := kg.ParseRelationshipID(id); !ok {
		return kg.Relationship{}, kg.Invalid("id", "%q is not a relationship id (want from-TYPE->to, e.g. vendor:kaspersky-lab-MAKES->product:kaspersky-anti-virus)", id)
	}
	got, err := s.store.RelationshipsByID(ctx, []string{id}, at)
	if err != nil {
		return kg.Relationship{}, fmt.Errorf("read relationship %s: %w", id, err)
	}
	r, ok := got[id]
	if !ok {
		return kg.Relationship{}, notFound("relationship", id, at)
	}
	return r, nil
}

// Signal returns one risk signal at a moment; ErrNotFound when it does not hold then.
func (s *Service) Signal(ctx context.Context, id string, at At) (kg.RiskSignal, error) {
	if err := kg.CheckFactID("id", id); err != nil || !strings.HasPrefix(id, kg.SignalIDPrefix) {
		return kg.RiskSignal{}, kg.Invalid("id", "%q is not a signal id (want signal:…)", id)
	}
	got, err := s.store.SignalsByID(ctx, []string{id}, at)
	if err != nil {
		return kg.RiskSignal{}, fmt.Errorf("read signal %s: %w", id, err)
	}
	g, ok := got[id]
	if !ok {
		return kg.RiskSignal{}, notFound("signal", id, at)
	}
	return g, nil
}

// History returns every recorded row of one fact (entity, relationship or signal), superseded
// ones included, as an archive batch in recorded order; ErrNotFound when the id names nothing.
func (s *Service) History(ctx context.Context, id string) (kg.Batch, error) {
	if err := kg.CheckFactID("id", id); err != nil {
		return kg.Batch{}, err
	}
	b, err := s.store.History(ctx, []string{id})
	if err != nil {
		return b, fmt.Errorf("read the history of %s: %w", id, err)
	}
	if len(b.Entities)+len(b.Relationships)+len(b.Signals) == 0 {
		return b, fmt.Errorf("no entity, relationship or signal %q was ever recorded: %w", id, store.ErrNotFound)
	}
	return b, nil
}

// Entities returns the entities with these ids visible at a moment; missing ids are absent.
func (s *Service) Entities(ctx context.Context, ids []string, at At) (map[string]kg.Entity, error) {
	got, err := s.store.Entities(ctx, ids, at)
	if err != nil {
		return nil, fmt.Errorf("read %d entities: %w", len(ids), err)
	}
	return got, nil
}

// Relationships returns a page of relationships for each of several entities.
func (s *Service) Relationships(ctx context.Context, q RelQuery) (map[string]RelPage, error) {
	got, err := s.store.Relationships(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read relationships of %d entities: %w", len(q.EntityIDs), err)
	}
	return got, nil
}

// Tree reads entities and the nested pages of relationships below them in one store call
// (one statement on Neo4j), keyed by root id; roots not visible are absent.
func (s *Service) Tree(ctx context.Context, q TreeQuery) (map[string]TreeNode, error) {
	got, err := s.store.Tree(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read a tree from %d entities: %w", len(q.Roots), err)
	}
	return got, nil
}

// EntityTree reads one entity and the tree below it (q names it as its one root);
// ErrNotFound when it is not visible.
func (s *Service) EntityTree(ctx context.Context, q TreeQuery) (TreeNode, error) {
	if len(q.Roots) != 1 {
		return TreeNode{}, kg.Invalid("roots", "an entity tree has one root, not %d", len(q.Roots))
	}
	id, at := q.Roots[0], At{AsOf: q.AsOf, KnownAt: q.KnownAt}
	if err := kg.CheckEntityID("id", id); err != nil {
		return TreeNode{}, err
	}
	got, err := s.Tree(ctx, q)
	if err != nil {
		return TreeNode{}, err
	}
	n, ok := got[id]
	if !ok {
		return TreeNode{}, notFound("entity", id, at)
	}
	return n, nil
}

// TreeFits reports whether a tree read is within the store's limits (see store.TreeFits).
func TreeFits(q TreeQuery) bool { return store.TreeFits(q) }

// Signals returns the risk signals on each of several entities, visible at a moment.
func (s *Service) Signals(ctx context.Context, ids []string, at At) (map[string][]kg.RiskSignal, error) {
	got, err := s.store.Signals(ctx, ids, at)
	if err != nil {
		return nil, fmt.Errorf("read signals of %d entities: %w", len(ids), err)
	}
	return got, nil
}

// List pages through entities ordered by id.
func (s *Service) List(ctx context.Context, q ListQuery) (EntityPage, error) {
	p, err := s.store.List(ctx, q)
	if err != nil {
		return p, fmt.Errorf("list entities: %w", err)
	}
	return p, nil
}

// Empty reports whether no entity is visible today: the cue to seed a new store.
func (s *Service) Empty(ctx context.Context) (bool, error) {
	p, err := s.List(ctx, ListQuery{Page: Page{First: 1}})
	if err != nil {
		return false, err
	}
	return len(p.Items) == 0, nil
}

// Search finds entities by text, best match first.
func (s *Service) Search(ctx context.Context, q SearchQuery) (SearchPage, error) {
	p, err := s.store.Search(ctx, q)
	if err != nil {
		return p, fmt.Errorf("search %q: %w", q.Text, err)
	}
	if len(p.Items) > 0 || q.Page.After != "" {
		return p, nil
	}
	return s.fuzzySearch(ctx, q)
}

// minFuzzyScore is the least match score a typo-tolerant search hit needs.
const minFuzzyScore = 0.5

// fuzzySearch answers a search whose words match no entity the way Match would: the text as
// a name, the entities that name most likely is, scored by match (typos, run-together words,
// transliterations, legal forms), best first, on one page.
func (s *Service) fuzzySearch(ctx context.Context, q SearchQuery) (SearchPage, error) {
	first := cmp.Or(q.Page.First, store.DefaultFirst)
	res, err := s.Match(ctx, []match.Candidate{{Name: q.Text}}, At{AsOf: q.AsOf, KnownAt: q.KnownAt}, MaxMatchFirst)
	if err != nil {
		return SearchPage{}, fmt.Errorf("search %q for near names: %w", q.Text, err)
	}
	var ids []string
	for _, m := range res[0].Matches {
		if m.Score >= minFuzzyScore && (len(q.Kinds) == 0 || slices.Contains(q.Kinds, m.Target.Kind)) {
			ids = append(ids, m.Target.ID)
		}
	}
	ids = ids[:min(len(ids), first)]
	es, err := s.entitiesByID(ctx, ids, res[0].At)
	if err != nil {
		return SearchPage{}, err
	}
	var p SearchPage
	for _, m := range res[0].Matches {
		if e, ok := es[m.Target.ID]; ok && slices.Contains(ids, e.ID) {
			p.Items = append(p.Items, store.SearchHit{Entity: e, Score: m.Score})
		}
	}
	return p, nil
}

// Paths returns simple paths between two entities, shortest first.
func (s *Service) Paths(ctx context.Context, q PathQuery) ([]Path, error) {
	ps, err := s.store.Paths(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("paths from %s to %s: %w", q.From, q.To, err)
	}
	return ps, nil
}

// Export returns every stored fact, ended ones included, as one batch ordered by id.
func (s *Service) Export(ctx context.Context) (kg.Batch, error) {
	b, err := s.store.Export(ctx)
	if err != nil {
		return b, fmt.Errorf("export: %w", err)
	}
	return b, nil
}
