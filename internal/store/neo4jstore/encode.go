package neo4jstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"riskgraph/internal/kg"
)

// openEnd is the stored validTo of a fact whose validity has no end.
const openEnd = 99999999

// nameSep joins the lower-cased name and aliases in nameKey; no name contains it.
const nameSep = "\x1f"

func toFrom(d kg.Date) int64 { return int64(d) }

func toTo(d kg.Date) int64 {
	if d == 0 {
		return openEnd
	}
	return int64(d)
}

func fromTo(v int64) kg.Date {
	if v >= openEnd {
		return 0
	}
	return kg.Date(v)
}

// digest is the content hash of a domain value: its JSON form, hashed.
func digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("neo4jstore: hash %T: %v", v, err)) // kg values always marshal
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// jsonProp encodes a slice as a JSON string property, or nil (no property) when empty.
func jsonProp[T any](v []T) any {
	if len(v) == 0 {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("neo4jstore: encode %T: %v", v, err))
	}
	return string(b)
}

// nameKey is what NameContains searches: the name and aliases, lower-cased.
func nameKey(e kg.Entity) string {
	parts := make([]string, 0, 1+len(e.Aliases))
	parts = append(parts, strings.ToLower(e.Name))
	for _, a := range e.Aliases {
		parts = append(parts, strings.ToLower(a))
	}
	return strings.Join(parts, nameSep)
}

// entityProps is the full property map of an entity's node.
func entityProps(e kg.Entity) map[string]any {
	p := map[string]any{
		"id":        e.ID,
		"kind":      string(e.Kind),
		"name":      e.Name,
		"nameKey":   nameKey(e),
		"validFrom": toFrom(e.Validity.From),
		"validTo":   toTo(e.Validity.To),
		"hash":      digest(e),
	}
	if len(e.Aliases) > 0 {
		p["aliases"] = e.Aliases
		p["aliasesText"] = strings.Join(e.Aliases, "\n")
	}
	if e.Description != "" {
		p["description"] = e.Description
	}
	setIf(p, "attributes", jsonProp(e.Attributes))
	setIf(p, "obligations", jsonProp(e.Obligations))
	setIf(p, "sources", jsonProp(e.Sources))
	return p
}

func setIf(p map[string]any, k string, v any) {
	if v != nil {
		p[k] = v
	}
}

// signalProps is the full property map of a signal node.
func signalProps(g kg.RiskSignal) map[string]any {
	p := map[string]any{
		"id":        g.ID,
		"entity":    g.EntityID,
		"dimension": string(g.Dimension),
		"severity":  g.Severity,
		"reason":    g.Reason,
		"validFrom": toFrom(g.Validity.From),
		"validTo":   toTo(g.Validity.To),
		"hash":      digest(g),
	}
	setIf(p, "sources", jsonProp(g.Sources))
	return p
}

// props reads typed values out of a property map returned by Cypher.
type props map[string]any

func (p props) str(k string) string {
	s, _ := p[k].(string)
	return s
}

func (p props) i64(k string) int64 {
	n, _ := p[k].(int64)
	return n
}

func (p props) f64(k string) float64 {
	switch v := p[k].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return 0
}

func (p props) boolean(k string) bool {
	b, _ := p[k].(bool)
	return b
}

func (p props) strings(k string) []string {
	l, _ := p[k].([]any)
	if len(l) == 0 {
		return nil
	}
	out := make([]string, len(l))
	for i, v := range l {
		out[i], _ = v.(string)
	}
	return out
}

func (p props) validity() kg.Validity {
	return kg.Validity{From: kg.Date(p.i64("validFrom")), To: fromTo(p.i64("validTo"))}
}

func decodeJSON[T any](p props, k string) ([]T, error) {
	s := p.str(k)
	if s == "" {
		return nil, nil
	}
	var out []T
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode %s of %s: %w", k, p.str("id"), err)
	}
	return out, nil
}

func decodeEntity(m any) (kg.Entity, error) {
	p, ok := m.(map[string]any)
	if !ok {
		return kg.Entity{}, fmt.Errorf("decode entity: got %T", m)
	}
	pp := props(p)
	e := kg.Entity{
		ID:          pp.str("id"),
		Kind:        kg.Kind(pp.str("kind")),
		Name:        pp.str("name"),
		Aliases:     pp.strings("aliases"),
		Description: pp.str("description"),
		Validity:    pp.validity(),
	}
	var err error
	if e.Attributes, err = decodeJSON[kg.Attribute](pp, "attributes"); err != nil {
		return e, err
	}
	if e.Obligations, err = decodeJSON[kg.Obligation](pp, "obligations"); err != nil {
		return e, err
	}
	if e.Sources, err = decodeJSON[kg.Citation](pp, "sources"); err != nil {
		return e, err
	}
	return e, nil
}

// relReturn is the RETURN expression list that decodeRel reads, for relationship variable r.
const relReturn = "r {.*} AS r, type(r) AS type, startNode(r).id AS from, endNode(r).id AS to"

func decodeRel(rec recordGetter) (kg.Relationship, error) {
	m, _ := rec.get("r").(map[string]any)
	pp := props(m)
	r := kg.Relationship{
		Type:       kg.RelType(str(rec.get("type"))),
		From:       str(rec.get("from")),
		To:         str(rec.get("to")),
		Confidence: 1, // confidence 1 is not stored
		Inferred:   pp.boolean("inferred"),
		Note:       pp.str("note"),
		Validity:   pp.validity(),
	}
	if c, ok := m["confidence"]; ok && c != nil {
		r.Confidence = pp.f64("confidence")
	}
	var err error
	if r.Sources, err = decodeJSON[kg.Citation](pp, "sources"); err != nil {
		return r, err
	}
	return r, nil
}

func decodeSignal(m any) (kg.RiskSignal, error) {
	p, ok := m.(map[string]any)
	if !ok {
		return kg.RiskSignal{}, fmt.Errorf("decode signal: got %T", m)
	}
	pp := props(p)
	g := kg.RiskSignal{
		ID:        pp.str("id"),
		EntityID:  pp.str("entity"),
		Dimension: kg.Dimension(pp.str("dimension")),
		Severity:  pp.f64("severity"),
		Reason:    pp.str("reason"),
		Validity:  pp.validity(),
	}
	var err error
	if g.Sources, err = decodeJSON[kg.Citation](pp, "sources"); err != nil {
		return g, err
	}
	return g, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// recordGetter is the part of a driver record the decoders use.
type recordGetter interface{ get(key string) any }
