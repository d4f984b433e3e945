package kg

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// ErrInvalid is wrapped by every validation error, so callers can test with errors.Is.
var ErrInvalid = errors.New("invalid input")

// ErrLimit is wrapped, beside ErrInvalid, by a validation error that says a request asked
// for more than a limit allows (a page, a hop count, a text length).
var ErrLimit = errors.New("limit exceeded")

// ValidationError names the field at fault and says what to fix.
type ValidationError struct {
	Field   string // path of the bad field, e.g. "relationships[2].to"
	Message string
	Limit   bool // the value is well formed but above a limit: the error also matches ErrLimit
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Unwrap makes a ValidationError match ErrInvalid, and ErrLimit when it is about a limit.
func (e *ValidationError) Unwrap() []error {
	if e.Limit {
		return []error{ErrInvalid, ErrLimit}
	}
	return []error{ErrInvalid}
}

// Invalid builds a ValidationError.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// OverLimit builds a ValidationError for a value above a limit.
func OverLimit(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...), Limit: true}
}

// isSlug reports whether s matches ^[a-z0-9][a-z0-9._-]*$.
func isSlug(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// CheckEntityID reports an id that is not "<kind>:<slug>" for some kind.
func CheckEntityID(field, id string) error {
	k, ok := KindOfID(id)
	if !ok {
		return Invalid(field, "id %q must look like \"vendor:kaspersky-lab\": a kind prefix (%s) then a lowercase slug", id, prefixes())
	}
	if !isSlug(id[len(k)+1:]) { // KindOfID matched the prefix: the kind's name and ':'
		return Invalid(field, "id %q: the part after %q must be a lowercase slug of letters, digits, '.', '_' or '-'", id, k.IDPrefix())
	}
	return nil
}

func prefixes() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = k.IDPrefix()
	}
	return strings.Join(s, " ")
}

// Length caps of text fields, in bytes, and of lists. They keep one row small enough that
// no write or index update costs much more than another.
const (
	MaxNameLen        = 300  // a name, an alias, an obligation's title
	MaxTextLen        = 4000 // a description
	MaxExcerptLen     = 1000 // a citation's excerpt, a signal's reason, a relationship's note
	MaxAttrKeyLen     = 100
	MaxAttrValueLen   = 1000
	MaxListLen        = 100 // aliases, attributes, obligations or citations of one fact
	maxNameLenMessage = "is %d bytes; the limit is %d"
)

func checkLen(field, s string, limit int) error {
	if len(s) > limit {
		return Invalid(field, maxNameLenMessage, len(s), limit)
	}
	return nil
}

func checkCount(field string, n int) error {
	if n > MaxListLen {
		return Invalid(field, "holds %d items; the limit is %d", n, MaxListLen)
	}
	return nil
}

func checkCitations(field string, cs []Citation) error {
	if err := checkCount(field, len(cs)); err != nil {
		return err
	}
	for i, c := range cs {
		if err := checkLen(fmt.Sprintf("%s[%d].excerpt", field, i), c.Excerpt, MaxExcerptLen); err != nil {
			return err
		}
		if k, ok := KindOfID(c.SourceID); !ok || k != KindSource {
			return Invalid(fmt.Sprintf("%s[%d].source", field, i), "%q is not a source id (want \"source:…\")", c.SourceID)
		}
		if c.Stance != "" && c.Stance != StanceSupports && c.Stance != StanceDisputes {
			return Invalid(fmt.Sprintf("%s[%d].stance", field, i), "unknown stance %q (want SUPPORTS or DISPUTES)", c.Stance)
		}
	}
	return nil
}

// FirstDay is the earliest day a fact may hold from or end on: facts riskgraph records are
// modern, and a date before it (0001-01-01, say) is a slip, not a fact.
const FirstDay Date = 18000101

func checkDay(field string, d Date) error {
	if d != 0 && d < FirstDay {
		return Invalid(field, "%s is before %s, the earliest day a fact may hold from or end on", d, FirstDay)
	}
	return nil
}

func checkValidity(field string, v Validity) error {
	if err := v.Check(); err != nil {
		return Invalid(field, "%v", err)
	}
	if err := checkDay(field+".from", v.From); err != nil {
		return err
	}
	return checkDay(field+".to", v.To)
}

// Validate checks one entity on its own; field prefixes error paths.
func (e Entity) Validate(field string) error {
	if !e.Kind.Valid() {
		return Invalid(field+".kind", "unknown kind %q (want one of %s)", e.Kind, kindNames(Kinds))
	}
	if err := CheckEntityID(field+".id", e.ID); err != nil {
		return err
	}
	if k, _ := KindOfID(e.ID); k != e.Kind {
		return Invalid(field+".id", "id %q has the prefix of %s but kind is %s", e.ID, k, e.Kind)
	}
	if strings.TrimSpace(e.Name) == "" {
		return Invalid(field+".name", "name must not be empty")
	}
	if err := checkLen(field+".name", e.Name, MaxNameLen); err != nil {
		return err
	}
	if err := checkLen(field+".description", e.Description, MaxTextLen); err != nil {
		return err
	}
	if err := checkCount(field+".aliases", len(e.Aliases)); err != nil {
		return err
	}
	for i, a := range e.Aliases {
		if err := checkLen(fmt.Sprintf("%s.aliases[%d]", field, i), a, MaxNameLen); err != nil {
			return err
		}
	}
	if len(e.Obligations) > 0 && e.Kind != KindDirective && e.Kind != KindLaw {
		return Invalid(field+".obligations", "only a Directive or a Law has obligations")
	}
	if e.Reach != nil && e.Kind != KindDirective && e.Kind != KindLaw {
		return Invalid(field+".reach", "only a Directive or a Law has a reach clause")
	}
	if err := checkCount(field+".obligations", len(e.Obligations)); err != nil {
		return err
	}
	if err := checkCount(field+".attributes", len(e.Attributes)); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, o := range e.Obligations {
		f := fmt.Sprintf("%s.obligations[%d]", field, i)
		if !isSlug(o.ID) || seen[o.ID] {
			return Invalid(f+".id", "obligation id %q must be a unique lowercase slug", o.ID)
		}
		seen[o.ID] = true
		if o.Due == 0 {
			return Invalid(f+".due", "an obligation needs a due date")
		}
		if err := checkLen(f+".title", o.Title, MaxNameLen); err != nil {
			return err
		}
		if err := checkLen(f+".description", o.Description, MaxTextLen); err != nil {
			return err
		}
		if err := checkCitations(f+".sources", o.Sources); err != nil {
			return err
		}
	}
	for i, a := range e.Attributes {
		if strings.TrimSpace(a.Key) == "" {
			return Invalid(fmt.Sprintf("%s.attributes[%d].key", field, i), "attribute key must not be empty")
		}
		if err := checkLen(fmt.Sprintf("%s.attributes[%d].key", field, i), a.Key, MaxAttrKeyLen); err != nil {
			return err
		}
		if err := checkLen(fmt.Sprintf("%s.attributes[%d].value", field, i), a.Value, MaxAttrValueLen); err != nil {
			return err
		}
	}
	if err := checkCitations(field+".sources", e.Sources); err != nil {
		return err
	}
	return checkValidity(field+".validity", e.Validity)
}

// Validate checks one relationship on its own (endpoint kinds from the ids' prefixes);
// whether the endpoints exist is the store's check.
func (r Relationship) Validate(field string) error {
	if !r.Type.Valid() {
		return Invalid(field+".type", "unknown relationship type %q", r.Type)
	}
	if err := CheckEntityID(field+".from", r.From); err != nil {
		return err
	}
	if err := CheckEntityID(field+".to", r.To); err != nil {
		return err
	}
	if r.From == r.To {
		return Invalid(field, "a relationship cannot join %q to itself", r.From)
	}
	fk, _ := KindOfID(r.From)
	tk, _ := KindOfID(r.To)
	if !Allowed(r.Type, fk, tk) {
		from, to := Endpoints(r.Type)
		return Invalid(field, "%s cannot join %s to %s: it joins (%s) to (%s)", r.Type, fk, tk, kindNames(from), kindNames(to))
	}
	if r.Confidence != 0 && (!isFinite01(r.Confidence) || r.Confidence <= 0) {
		return Invalid(field+".confidence", "confidence %v must be in (0,1]", r.Confidence)
	}
	switch {
	case r.Share != 0 && r.Type != RelOwnedBy:
		return Invalid(field+".share", "only OWNED_BY has a share")
	case r.Share != 0 && (math.IsNaN(r.Share) || r.Share < 0 || r.Share > 100):
		return Invalid(field+".share", "share %v must be a percentage in (0,100]", r.Share)
	case r.Type == RelCompliedWith && !isSlug(r.Obligation):
		return Invalid(field+".obligation", "COMPLIED_WITH names the obligation met: a lowercase slug, got %q", r.Obligation)
	case r.Type != RelCompliedWith && r.Obligation != "":
		return Invalid(field+".obligation", "only COMPLIED_WITH names an obligation")
	}
	if err := checkLen(field+".note", r.Note, MaxExcerptLen); err != nil {
		return err
	}
	if err := checkCitations(field+".sources", r.Sources); err != nil {
		return err
	}
	return checkValidity(field+".validity", r.Validity)
}

// Validate checks one risk signal on its own.
func (g RiskSignal) Validate(field string) error {
	if !strings.HasPrefix(g.ID, SignalIDPrefix) || !isSlug(strings.TrimPrefix(g.ID, SignalIDPrefix)) {
		return Invalid(field+".id", "signal id %q must be \"signal:\" then a lowercase slug", g.ID)
	}
	if err := CheckEntityID(field+".entity", g.EntityID); err != nil {
		return err
	}
	if !g.Dimension.Valid() {
		return Invalid(field+".dimension", "unknown dimension %q", g.Dimension)
	}
	if !isFinite01(g.Severity) {
		return Invalid(field+".severity", "severity %v must be in [0,1]", g.Severity)
	}
	if err := checkLen(field+".reason", g.Reason, MaxExcerptLen); err != nil {
		return err
	}
	if err := checkCitations(field+".sources", g.Sources); err != nil {
		return err
	}
	return checkValidity(field+".validity", g.Validity)
}

// Batch is a set of writes applied together: all of it, or none.
//
// Its rows are upserts, except those whose ids Corrections lists, which correct a version
// (see Correct), and Retractions end facts. A batch whose rows carry a Version is instead an
// archive, as Export writes it: every recorded row of each fact (an id may then appear once
// per row), restored as recorded; an archive holds no retractions or corrections.
type Batch struct {
	Entities      []Entity       `json:"entities,omitempty"`
	Relationships []Relationship `json:"relationships,omitempty"`
	Signals       []RiskSignal   `json:"signals,omitempty"`
	Retractions   []Retraction   `json:"retractions,omitempty"`
	Corrections   []string       `json:"corrections,omitempty"`
}

// Retraction ends the fact with this id on a day.
type Retraction struct {
	ID string `json:"id"` // an entity, relationship or signal id
	On Date   `json:"on"` // the first day it no longer holds
}

// Len is the number of rows and retractions in b.
func (b Batch) Len() int {
	return len(b.Entities) + len(b.Relationships) + len(b.Signals) + len(b.Retractions)
}

// IsArchive reports whether b's rows carry versions (see Batch).
func (b Batch) IsArchive() bool {
	return slices.ContainsFunc(b.Entities, func(e Entity) bool { return e.Version != nil }) ||
		slices.ContainsFunc(b.Relationships, func(r Relationship) bool { return r.Version != nil }) ||
		slices.ContainsFunc(b.Signals, func(g RiskSignal) bool { return g.Version != nil })
}

// CheckFactID reports an id that names no kind of fact: not an entity, relationship or signal id.
func CheckFactID(field, id string) error {
	if strings.HasPrefix(id, SignalIDPrefix) {
		if !isSlug(id[len(SignalIDPrefix):]) {
			return Invalid(field, "signal id %q must be \"signal:\" then a lowercase slug", id)
		}
		return nil
	}
	if _, _, _, ok := ParseRelationshipID(id); ok {
		return nil
	}
	if CheckEntityID("", id) != nil {
		return Invalid(field, "%q is not an entity, relationship or signal id", id)
	}
	return nil
}

// ParseRelationshipID splits a relationship id made by Relationship.ID (a COMPLIED_WITH id's
// #obligation is checked and dropped).
func ParseRelationshipID(id string) (from string, t RelType, to string, ok bool) {
	if base, obligation, qualified := strings.Cut(id, "#"); qualified {
		if !isSlug(obligation) {
			return "", "", "", false
		}
		id = base
	}
	head, to, found := strings.Cut(id, "->")
	if !found {
		return "", "", "", false
	}
	i := strings.LastIndex(head, "-")
	if i < 0 {
		return "", "", "", false
	}
	from, t = head[:i], RelType(head[i+1:])
	if !t.Valid() || CheckEntityID("", from) != nil || CheckEntityID("", to) != nil {
		return "", "", "", false
	}
	return from, t, to, true
}

// ObligationID is the id of obligation o of the directive or law rule: rule#o.
func ObligationID(rule, o string) string { return rule + "#" + o }

// ParseObligationID splits an obligation id (directive:bod-17-01#remove) into the id of the
// directive or law and the obligation's own id, checking both.
func ParseObligationID(field, id string) (rule, obligation string, err error) {
	rule, obligation, ok := strings.Cut(id, "#")
	if !ok || !isSlug(obligation) {
		return "", "", Invalid(field, "an obligation id is the directive's or law's id, '#', and the obligation's id, got %q", id)
	}
	if err := CheckEntityID(field, rule); err != nil {
		return "", "", err
	}
	if k, _ := KindOfID(rule); k != KindDirective && k != KindLaw {
		return "", "", Invalid(field, "only directives and laws have obligations, got %q", rule)
	}
	return rule, obligation, nil
}

// Validate checks every row of b on its own and rejects ids repeated within the batch (in
// an archive, versions of one id that overlap in both times), retractions of ids written
// by the same batch or without a day, and corrections of rows the batch does not hold.
func (b Batch) Validate() error {
	if b.IsArchive() {
		return b.validateArchive()
	}
	if err := b.validateRows(); err != nil {
		return err
	}
	if len(b.Retractions)+len(b.Corrections) == 0 {
		return nil // what follows checks them against the rows
	}
	rows := make(map[string]bool, len(b.Entities)+len(b.Relationships)+len(b.Signals))
	for _, e := range b.Entities {
		rows[e.ID] = true
	}
	for _, r := range b.Relationships {
		rows[r.ID()] = true
	}
	for _, g := range b.Signals {
		rows[g.ID] = true
	}
	ended := make(map[string]bool, len(b.Retractions))
	for i, r := range b.Retractions {
		f := fmt.Sprintf("retractions[%d]", i)
		if err := CheckFactID(f+".id", r.ID); err != nil {
			return err
		}
		if r.On == 0 {
			return Invalid(f+".on", "a retraction needs a date")
		}
		if r.On < FirstDay {
			return Invalid(f+".on", "%s cannot end on %s: that is before %s, the earliest day a fact may end on", r.ID, r.On, FirstDay)
		}
		if rows[r.ID] || ended[r.ID] {
			return Invalid(f+".id", "%s is written twice in one batch", r.ID)
		}
		ended[r.ID] = true
	}
	for i, id := range b.Corrections {
		if !rows[id] {
			return Invalid(fmt.Sprintf("corrections[%d]", i), "%q names no row of this batch", id)
		}
	}
	return nil
}

// validateArchive checks an archive: each row on its own, with a version, and no two rows
// of one fact that overlap in valid time while both are the record at some moment.
func (b Batch) validateArchive() error {
	if len(b.Retractions)+len(b.Corrections) > 0 {
		return Invalid("retractions", "an archive (rows with versions) holds no retractions or corrections")
	}
	type row struct {
		field string
		v     Version
		valid Validity
	}
	byID := map[string][]row{}
	check := func(field, id string, valid Validity, ver *Version, err error) error {
		if err != nil {
			return err
		}
		if ver == nil {
			return Invalid(field+".version", "%s: in an archive every row has a version", id)
		}
		if ver.RecordedAt < 0 || (ver.SupersededAt != 0 && ver.SupersededAt <= ver.RecordedAt) {
			return Invalid(field+".version", "%s: recorded %s, superseded %s: want a recorded time before the superseded one", id, ver.RecordedAt, ver.SupersededAt)
		}
		for _, o := range byID[id] {
			bothKnown := ver.RecordedAt < max64(o.v.SupersededAt) && o.v.RecordedAt < max64(ver.SupersededAt)
			overlap := lo(valid.From) < hi(o.valid.To) && lo(o.valid.From) < hi(valid.To)
			if bothKnown && overlap {
				return Invalid(field, "%s has two versions that hold on the same day and were the record at the same time (see %s)", id, o.field)
			}
		}
		byID[id] = append(byID[id], row{field, *ver, valid})
		return nil
	}
	for i, e := range b.Entities {
		f := fmt.Sprintf("entities[%d]", i)
		if err := check(f, e.ID, e.Validity, e.Version, e.Validate(f)); err != nil {
			return err
		}
	}
	for i, r := range b.Relationships {
		f := fmt.Sprintf("relationships[%d]", i)
		if err := check(f, r.ID(), r.Validity, r.Version, r.Validate(f)); err != nil {
			return err
		}
	}
	for i, g := range b.Signals {
		f := fmt.Sprintf("signals[%d]", i)
		if err := check(f, g.ID, g.Validity, g.Version, g.Validate(f)); err != nil {
			return err
		}
	}
	return nil
}

// max64 reads a superseded time of 0 (still the record) as the end of time.
func max64(s Stamp) Stamp {
	if s == 0 {
		return MaxStamp
	}
	return s
}

// validateRows checks every upsert row of b on its own and rejects ids repeated within it.
func (b Batch) validateRows() error {
	// Rows are checked with an empty field path first, which costs no formatting; only a
	// row that fails is checked again under its path, for the error.
	ids := make(map[string]bool, len(b.Entities)+len(b.Signals))
	for i, e := range b.Entities {
		if e.Validate("") != nil {
			return e.Validate(fmt.Sprintf("entities[%d]", i))
		}
		if ids[e.ID] {
			return Invalid(fmt.Sprintf("entities[%d].id", i), "id %q appears twice in one batch", e.ID)
		}
		ids[e.ID] = true
	}
	type relKey struct {
		from, to, obligation string
		t                    RelType
	}
	rels := make(map[relKey]bool, len(b.Relationships))
	for i, r := range b.Relationships {
		if r.Validate("") != nil {
			return r.Validate(fmt.Sprintf("relationships[%d]", i))
		}
		k := relKey{r.From, r.To, r.Obligation, r.Type}
		if rels[k] {
			return Invalid(fmt.Sprintf("relationships[%d]", i), "relationship %q appears twice in one batch", r.ID())
		}
		rels[k] = true
	}
	for i, g := range b.Signals {
		if g.Validate("") != nil {
			return g.Validate(fmt.Sprintf("signals[%d]", i))
		}
		if ids[g.ID] {
			return Invalid(fmt.Sprintf("signals[%d].id", i), "id %q appears twice in one batch", g.ID)
		}
		ids[g.ID] = true
	}
	return nil
}
