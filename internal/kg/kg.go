// Package kg owns the riskgraph domain: entity kinds, the closed set of relationship
// types and the kinds they may join, facts with provenance and validity, risk signals,
// and the validation every layer relies on.
package kg

import (
	"math"
	"slices"
	"strings"
)

// Kind is an entity label. The set is closed: see Kinds.
type Kind string

// Entity kinds.
const (
	KindVendor       Kind = "Vendor"
	KindProduct      Kind = "Product"
	KindGovernment   Kind = "Government"
	KindAgency       Kind = "Agency"
	KindLaw          Kind = "Law"
	KindDirective    Kind = "Directive"
	KindRetailer     Kind = "Retailer"
	KindOrganization Kind = "Organization"
	KindPerson       Kind = "Person"
	KindSource       Kind = "Source"
)

// Kinds lists every entity kind in a fixed order.
var Kinds = []Kind{KindVendor, KindProduct, KindGovernment, KindAgency, KindLaw,
	KindDirective, KindRetailer, KindOrganization, KindPerson, KindSource}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// IDPrefix is the prefix every id of this kind carries, e.g. "vendor:".
func (k Kind) IDPrefix() string { return strings.ToLower(string(k)) + ":" }

// KindOfID returns the kind named by an entity id's prefix.
func KindOfID(id string) (Kind, bool) {
	p, _, ok := strings.Cut(id, ":")
	if !ok {
		return "", false
	}
	for _, k := range Kinds {
		if isLowerOf(p, string(k)) {
			return k, true
		}
	}
	return "", false
}

// isLowerOf reports whether p is name in lower case (ASCII), without allocating: bulk
// validation calls KindOfID for every id of every row.
func isLowerOf(p, name string) bool {
	if len(p) != len(name) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if p[i] != c {
			return false
		}
	}
	return true
}

// RelType is a relationship type. The set is closed: see RelTypes.
type RelType string

// Relationship types; the comment gives the kinds each may join, as (from)->(to).
const (
	RelEnacted         RelType = "ENACTED"          // (Government)->(Law)
	RelAppliesTo       RelType = "APPLIES_TO"       // (Law)->(Vendor): the law can compel it
	RelHeadquarteredIn RelType = "HEADQUARTERED_IN" // (Vendor|Retailer|Organization)->(Government)
	RelMakes           RelType = "MAKES"            // (Vendor)->(Product)
	RelOwnedBy         RelType = "OWNED_BY"         // (Vendor|Organization|Retailer)->(Vendor|Organization|Government|Person|Retailer)
	RelControlledBy    RelType = "CONTROLLED_BY"    // as OWNED_BY
	RelPartOf          RelType = "PART_OF"          // (Agency)->(Government|Agency)
	RelIssued          RelType = "ISSUED"           // (Agency|Government)->(Directive)
	RelTargets         RelType = "TARGETS"          // (Directive|Law)->(Vendor|Product): what the rule bans or restricts
	RelBinds           RelType = "BINDS"            // (Directive|Law)->(Organization|Agency)
	RelSells           RelType = "SELLS"            // (Retailer)->(Product)
	RelDelisted        RelType = "DELISTED"         // (Retailer)->(Product)
	RelUses            RelType = "USES"             // (Organization|Agency)->(Product)
	RelSuppliedBy      RelType = "SUPPLIED_BY"      // (Organization|Agency)->(Vendor)
	RelOfficerOf       RelType = "OFFICER_OF"       // (Person)->(Vendor|Agency|Government|Organization|Retailer)
	RelStatedBy        RelType = "STATED_BY"        // (Source)->(any but Source): who made the statement a source records
	RelCompliedWith    RelType = "COMPLIED_WITH"    // (Organization|Agency)->(Directive|Law): evidence that one obligation was met
)

// RelTypes lists every relationship type in a fixed order.
var RelTypes = []RelType{RelEnacted, RelAppliesTo, RelHeadquarteredIn, RelMakes, RelOwnedBy,
	RelControlledBy, RelPartOf, RelIssued, RelTargets, RelBinds, RelSells, RelDelisted, RelUses,
	RelSuppliedBy, RelOfficerOf, RelStatedBy, RelCompliedWith}

// Valid reports whether t is one of RelTypes.
func (t RelType) Valid() bool { _, ok := endpoints[t]; return ok }

type kindSet []Kind

var anyButSource = kindSet{KindVendor, KindProduct, KindGovernment, KindAgency, KindLaw,
	KindDirective, KindRetailer, KindOrganization, KindPerson}

var ownership = [2]kindSet{
	{KindVendor, KindOrganization, KindRetailer},
	{KindVendor, KindOrganization, KindGovernment, KindPerson, KindRetailer},
}

// endpoints is the closed table of which kinds each relationship type may join.
var endpoints = map[RelType][2]kindSet{
	RelEnacted:         {{KindGovernment}, {KindLaw}},
	RelAppliesTo:       {{KindLaw}, {KindVendor}},
	RelHeadquarteredIn: {{KindVendor, KindRetailer, KindOrganization}, {KindGovernment}},
	RelMakes:           {{KindVendor}, {KindProduct}},
	RelOwnedBy:         ownership,
	RelControlledBy:    ownership,
	RelPartOf:          {{KindAgency}, {KindGovernment, KindAgency}},
	RelIssued:          {{KindAgency, KindGovernment}, {KindDirective}},
	RelTargets:         {{KindDirective, KindLaw}, {KindVendor, KindProduct}},
	RelBinds:           {{KindDirective, KindLaw}, {KindOrganization, KindAgency}},
	RelSells:           {{KindRetailer}, {KindProduct}},
	RelDelisted:        {{KindRetailer}, {KindProduct}},
	RelUses:            {{KindOrganization, KindAgency}, {KindProduct}},
	RelSuppliedBy:      {{KindOrganization, KindAgency}, {KindVendor}},
	RelOfficerOf:       {{KindPerson}, {KindVendor, KindAgency, KindGovernment, KindOrganization, KindRetailer}},
	RelStatedBy:        {{KindSource}, anyButSource},
	RelCompliedWith:    {{KindOrganization, KindAgency}, {KindDirective, KindLaw}},
}

// Endpoints returns the kinds t may start from and end at.
func Endpoints(t RelType) (from, to []Kind) {
	e := endpoints[t]
	return slices.Clone(e[0]), slices.Clone(e[1])
}

// Allowed reports whether a relationship of type t may join an entity of kind from to one of kind to.
func Allowed(t RelType, from, to Kind) bool {
	e, ok := endpoints[t]
	return ok && slices.Contains(e[0], from) && slices.Contains(e[1], to)
}

// Dimension is a risk dimension. The set is closed: see Dimensions.
type Dimension string

// Risk dimensions.
const (
	DimForeignInfluence Dimension = "FOREIGN_INFLUENCE"
	DimRegulatory       Dimension = "REGULATORY"
	DimSanctions        Dimension = "SANCTIONS"
	DimReputational     Dimension = "REPUTATIONAL"
	DimOperational      Dimension = "OPERATIONAL"
)

// Dimensions lists every risk dimension in a fixed order.
var Dimensions = []Dimension{DimForeignInfluence, DimRegulatory, DimSanctions, DimReputational, DimOperational}

// Valid reports whether d is one of Dimensions.
func (d Dimension) Valid() bool { return slices.Contains(Dimensions, d) }

// Stance says whether a source backs a fact or disputes it. Both are kept: a denial is a fact too.
type Stance string

// Stances.
const (
	StanceSupports Stance = "SUPPORTS"
	StanceDisputes Stance = "DISPUTES"
)

// Citation ties a fact to the Source entity that states it.
type Citation struct {
	SourceID string `json:"source"`           // id of a Source entity
	Excerpt  string `json:"excerpt"`          // what the source says, in our own words
	Stance   Stance `json:"stance,omitempty"` // empty means SUPPORTS
}

// Attribute is one named value of an entity (founded year, headquarters city, URL…).
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Obligation is something a directive or law requires of those it binds, by a due date.
type Obligation struct {
	ID          string     `json:"id"`          // unique within the directive, e.g. "identify"
	Title       string     `json:"title"`       // short imperative, e.g. "Identify Kaspersky products"
	Description string     `json:"description"` // what exactly must be done
	Due         Date       `json:"due"`         // the date by which it must be done
	Sources     []Citation `json:"sources,omitempty"`
}

// Reach is a directive's or law's own clause on what it covers besides what it TARGETS, such
// as section 1634's "any entity it controls, is controlled by, or shares control with". A rule
// without one covers what the risk model's coverage rules say.
type Reach struct {
	Controls      bool `json:"controls"`      // entities that own or control a covered entity
	ControlledBy  bool `json:"controlledBy"`  // entities a covered entity owns or controls
	SharedControl bool `json:"sharedControl"` // entities under the same control as a covered entity
	Products      bool `json:"products"`      // products any covered vendor makes
}

// Entity is a node of the graph. Writes are upserts keyed by ID.
type Entity struct {
	ID          string       `json:"id"` // stable slug, prefixed by the kind: "vendor:kaspersky-lab"
	Kind        Kind         `json:"kind"`
	Name        string       `json:"name"`
	Aliases     []string     `json:"aliases,omitempty"`
	Description string       `json:"description,omitempty"`
	Attributes  []Attribute  `json:"attributes,omitempty"`
	Obligations []Obligation `json:"obligations,omitempty"` // Directive and Law only
	Reach       *Reach       `json:"reach,omitempty"`       // Directive and Law only
	Sources     []Citation   `json:"sources,omitempty"`
	Validity    Validity     `json:"validity"`
	Version     *Version     `json:"version,omitempty"` // set on reads and in exports; ignored on writes
}

// Relationship is a typed, directed edge. Its ID is derived from (From, Type, To) and, for
// COMPLIED_WITH, the obligation: so two entities are joined by at most one relationship of a
// type (one per obligation for COMPLIED_WITH).
type Relationship struct {
	Type       RelType    `json:"type"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	Obligation string     `json:"obligation,omitempty"` // COMPLIED_WITH only: the id of the obligation of To that From met
	Confidence float64    `json:"confidence"`           // in (0,1]; 0 on input means 1
	Share      float64    `json:"share,omitempty"`      // OWNED_BY only: the percentage owned, in (0,100]; 0 = not known
	Inferred   bool       `json:"inferred,omitempty"`   // true when no source states the link outright
	Note       string     `json:"note,omitempty"`
	Sources    []Citation `json:"sources,omitempty"`
	Validity   Validity   `json:"validity"`
	Version    *Version   `json:"version,omitempty"` // set on reads and in exports; ignored on writes
}

// RelationshipID is the stable id of the relationship of type t from one entity to another.
func RelationshipID(from string, t RelType, to string) string {
	return from + "-" + string(t) + "->" + to
}

// ID returns the relationship's stable id: from-TYPE->to, and #obligation for COMPLIED_WITH.
func (r Relationship) ID() string {
	id := RelationshipID(r.From, r.Type, r.To)
	if r.Obligation != "" {
		id += "#" + r.Obligation
	}
	return id
}

// SortRelationships orders rels by id in place, building each id once rather than at every
// comparison.
func SortRelationships(rels []Relationship) {
	type keyed struct {
		id string
		r  Relationship
	}
	ks := make([]keyed, len(rels))
	for i, r := range rels {
		ks[i] = keyed{r.ID(), r}
	}
	slices.SortFunc(ks, func(x, y keyed) int { return strings.Compare(x.id, y.id) })
	for i, k := range ks {
		rels[i] = k.r
	}
}

// RiskSignal is an intrinsic risk fact about one entity.
type RiskSignal struct {
	ID        string     `json:"id"` // stable slug prefixed "signal:"
	EntityID  string     `json:"entity"`
	Dimension Dimension  `json:"dimension"`
	Severity  float64    `json:"severity"` // in [0,1]
	Reason    string     `json:"reason"`
	Sources   []Citation `json:"sources,omitempty"`
	Validity  Validity   `json:"validity"`
	Version   *Version   `json:"version,omitempty"` // set on reads and in exports; ignored on writes
}

// SignalIDPrefix is the prefix of every risk signal id.
const SignalIDPrefix = "signal:"

// Snapshot is every fact valid at one date, as known at one time: what the risk engine reads.
type Snapshot struct {
	AsOf          Date
	KnownAt       Stamp // 0: as known now
	Entities      []Entity
	Relationships []Relationship
	Signals       []RiskSignal
}

// Sort orders s's entities, relationships and signals by id, in place.
func (s *Snapshot) Sort() {
	slices.SortFunc(s.Entities, func(a, b Entity) int { return strings.Compare(a.ID, b.ID) })
	SortRelationships(s.Relationships)
	slices.SortFunc(s.Signals, func(a, b RiskSignal) int { return strings.Compare(a.ID, b.ID) })
}

// ValidAt keeps only the facts of s valid at d (and relationships whose endpoints are).
func (s Snapshot) ValidAt(d Date) Snapshot {
	out := Snapshot{AsOf: d}
	live := make(map[string]bool, len(s.Entities))
	for _, e := range s.Entities {
		if e.Validity.ValidAt(d) {
			out.Entities = append(out.Entities, e)
			live[e.ID] = true
		}
	}
	for _, r := range s.Relationships {
		if r.Validity.ValidAt(d) && live[r.From] && live[r.To] {
			out.Relationships = append(out.Relationships, r)
		}
	}
	for _, g := range s.Signals {
		if g.Validity.ValidAt(d) && live[g.EntityID] {
			out.Signals = append(out.Signals, g)
		}
	}
	return out
}

// EffectiveConfidence is r's confidence with the zero value read as 1.
func (r Relationship) EffectiveConfidence() float64 {
	if r.Confidence == 0 {
		return 1
	}
	return r.Confidence
}

// isFinite01 reports whether x is a finite number in [0,1].
func isFinite01(x float64) bool { return !math.IsNaN(x) && x >= 0 && x <= 1 }

// String renders a kind for messages.
func (k Kind) String() string { return string(k) }

func kindNames(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, "|")
}

// Direction is which way a relationship is walked from an entity.
type Direction string

// Directions.
const (
	Out  Direction = "OUT"  // along the relationship: the entity is its From
	In   Direction = "IN"   // against it: the entity is its To
	Both Direction = "BOTH" // either
)

// Valid reports whether d is Out, In or Both.
func (d Direction) Valid() bool { return d == Out || d == In || d == Both }

// WriteResult says what a write did, by id, and when it was recorded.
type WriteResult struct {
	Created    []string
	Updated    []string // a new version, a correction, or a new end of an upserted fact
	Unchanged  []string
	Retracted  []string // ended by a retraction (or by an upsert's new validTo)
	RecordedAt Stamp    // the write's recorded time; 0 when it changed nothing
}

// Changed reports whether the write changed anything.
func (r WriteResult) Changed() bool { return len(r.Created)+len(r.Updated)+len(r.Retracted) > 0 }

// Add appends what another write did (RecordedAt keeps the latest).
func (r *WriteResult) Add(o WriteResult) {
	r.Created = append(r.Created, o.Created...)
	r.Updated = append(r.Updated, o.Updated...)
	r.Unchanged = append(r.Unchanged, o.Unchanged...)
	r.Retracted = append(r.Retracted, o.Retracted...)
	r.RecordedAt = max(r.RecordedAt, o.RecordedAt)
}

// Note records the outcome of writing the fact with this id.
func (r *WriteResult) Note(id string, o Outcome) {
	switch o {
	case Created:
		r.Created = append(r.Created, id)
	case Updated:
		r.Updated = append(r.Updated, id)
	case Retracted:
		r.Retracted = append(r.Retracted, id)
	default:
		r.Unchanged = append(r.Unchanged, id)
	}
}
