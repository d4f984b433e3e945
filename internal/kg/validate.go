package kg

import (
	"errors"
	"fmt"
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

func checkCitations(field string, cs []Citation) error {
	for i, c := range cs {
		if k, ok := KindOfID(c.SourceID); !ok || k != KindSource {
			return Invalid(fmt.Sprintf("%s[%d].source", field, i), "%q is not a source id (want \"source:…\")", c.SourceID)
		}
		if c.Stance != "" && c.Stance != StanceSupports && c.Stance != StanceDisputes {
			return Invalid(fmt.Sprintf("%s[%d].stance", field, i), "unknown stance %q (want SUPPORTS or DISPUTES)", c.Stance)
		}
	}
	return nil
}

func checkValidity(field string, v Validity) error {
	if err := v.Check(); err != nil {
		return Invalid(field, "%v", err)
	}
	return nil
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
	if len(e.Obligations) > 0 && e.Kind != KindDirective {
		return Invalid(field+".obligations", "only a Directive has obligations")
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
		if err := checkCitations(f+".sources", o.Sources); err != nil {
			return err
		}
	}
	for i, a := range e.Attributes {
		if strings.TrimSpace(a.Key) == "" {
			return Invalid(fmt.Sprintf("%s.attributes[%d].key", field, i), "attribute key must not be empty")
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
	if err := checkCitations(field+".sources", g.Sources); err != nil {
		return err
	}
	return checkValidity(field+".validity", g.Validity)
}

// Batch is a set of writes applied together: all of it, or none.
type Batch struct {
	Entities      []Entity       `json:"entities,omitempty"`
	Relationships []Relationship `json:"relationships,omitempty"`
	Signals       []RiskSignal   `json:"signals,omitempty"`
}

// Validate checks every row of b on its own and rejects ids repeated within the batch.
func (b Batch) Validate() error {
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
		from, to string
		t        RelType
	}
	rels := make(map[relKey]bool, len(b.Relationships))
	for i, r := range b.Relationships {
		if r.Validate("") != nil {
			return r.Validate(fmt.Sprintf("relationships[%d]", i))
		}
		k := relKey{r.From, r.To, r.Type}
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
