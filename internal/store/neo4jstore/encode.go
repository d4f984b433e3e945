package neo4jstore

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/match"
	"riskgraph/internal/store"
)

// openEnd is the stored validTo of a fact whose validity has no end.
const openEnd = 99999999

// current is the hSup entry of a row no write has superseded: later than any recorded time,
// so "superseded after k" is one comparison.
const current = int64(kg.MaxStamp)

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

// contentHash is the digest of a fact's content (kg.Content: everything but its validity and
// version). Apply compares it with the stored hash to tell an unchanged row without reading
// the stored one.
func contentHash[T kg.Fact](f T) string {
	h := sha256.Sum256(kg.Content(f))
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

// nameParts are the lower-cased name and aliases of e, what NameContains looks in.
func nameParts(e kg.Entity) []string {
	parts := make([]string, 0, 1+len(e.Aliases))
	parts = append(parts, strings.ToLower(e.Name))
	for _, a := range e.Aliases {
		parts = append(parts, strings.ToLower(a))
	}
	return parts
}

// nameKey is what NameContains searches: the name and aliases, lower-cased.
func nameKey(e kg.Entity) string { return strings.Join(nameParts(e), nameSep) }

// searchWords are the words of e's name, aliases and description as store.Words splits
// them, joined by spaces: what a history row of an entity matches a search against.
func searchWords(e kg.Entity) string {
	text := make([]string, 0, 2+len(e.Aliases))
	text = append(text, e.Name, e.Description)
	text = append(text, e.Aliases...)
	return strings.Join(store.Words(strings.Join(text, " ")), " ")
}

// isCompact reports whether a fact's rows fit the compact encoding: a single row, not
// superseded, not a correction, whose version says nothing of its days (kg.Version.Valid
// zero: the row's Validity says).
func isCompact[T kg.Fact](rows []T) bool {
	if len(rows) != 1 {
		return false
	}
	v := kg.VersionOf(rows[0])
	return v.SupersededAt == 0 && !v.Correction && v.Valid == (kg.Validity{})
}

// stampProps adds the recorded time and writer of a compact fact's row to its properties.
// Both are left out when zero, as on facts written before versions were kept.
func stampProps(p map[string]any, v kg.Version) map[string]any {
	if v.RecordedAt != 0 {
		p["txFrom"] = int64(v.RecordedAt)
	}
	if v.RecordedBy != "" {
		p["txBy"] = v.RecordedBy
	}
	return p
}

// compactVersion is the version of a compact fact with these properties: its one row spans
// the fact's validity, so Valid stays zero (see kg.Version).
func compactVersion(p props) *kg.Version {
	return &kg.Version{RecordedAt: kg.Stamp(p.i64("txFrom")), RecordedBy: p.str("txBy")}
}

// rowOrder orders the rows of one fact as History returns them: by recorded time, then by
// valid time.
func rowOrder[T kg.Fact](a, b T) int {
	va, vb := kg.VersionOf(a), kg.VersionOf(b)
	if c := cmp.Compare(va.RecordedAt, vb.RecordedAt); c != 0 {
		return c
	}
	fa, fb := kg.ValidityOf(a), kg.ValidityOf(b)
	if c := cmp.Compare(fa.From, fb.From); c != 0 { // an open start (0) sorts first
		return c
	}
	return cmp.Compare(toTo(fa.To), toTo(fb.To))
}

// historyProps encodes the rows of a fact that does not fit the compact encoding. It returns
// the rows in rowOrder, the row the top-level content properties describe (the current row
// that starts last, or the last row when none is current) and the properties that hold the
// history:
//   - history: every row as kg JSON (Validity the row's interval, Version as recorded), in
//     rowOrder;
//   - hFrom, hTo, hRec, hSup: per row, its validity bounds in the top-level form and its
//     recorded and superseded times (current for a row still the record), which the Cypher
//     visibility tests search (see moment);
//   - validFrom, validTo: an empty interval (openEnd, 0), so that the compact visibility
//     test fails and the rows decide;
//   - txFrom, txBy: the latest recorded time among the rows and its writer.
func historyProps[T kg.Fact](rows []T) (sorted []T, top T, p map[string]any) {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, rowOrder)
	b, err := json.Marshal(rows)
	if err != nil {
		panic(fmt.Sprintf("neo4jstore: encode history: %v", err)) // kg values always encode
	}
	n := len(rows)
	from, to, rec, sup := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	var latest kg.Version
	for i, r := range rows {
		v, ver := kg.ValidityOf(r), kg.VersionOf(r)
		from[i], to[i], rec[i], sup[i] = toFrom(v.From), toTo(v.To), int64(ver.RecordedAt), current
		if ver.SupersededAt != 0 {
			sup[i] = int64(ver.SupersededAt)
		}
		if i == 0 || ver.RecordedAt >= latest.RecordedAt {
			latest = ver
		}
	}
	p = map[string]any{"history": string(b), "hFrom": from, "hTo": to, "hRec": rec, "hSup": sup,
		"validFrom": int64(openEnd), "validTo": int64(0)}
	stampProps(p, latest)
	top = rows[n-1]
	if cur := kg.Rows(rows, 0); len(cur) > 0 {
		top = cur[len(cur)-1]
	}
	return rows, top, p
}

// entityProps is the full property map of an entity node holding these rows.
func entityProps(rows []kg.Entity) map[string]any {
	if isCompact(rows) {
		return stampProps(entityContentProps(rows[0]), kg.VersionOf(rows[0]))
	}
	rows, top, hist := historyProps(rows)
	p := entityContentProps(top)
	maps.Copy(p, hist)
	// nameKey and aliasesText cover every row, so the TEXT and FULLTEXT indexes find the
	// entity by any name it ever had; hNames and hWords, per row, let the reads check the row
	// of the moment.
	names, nameSeen := nameParts(top), map[string]bool{}
	for _, n := range names {
		nameSeen[n] = true
	}
	text, textSeen := slices.Clone(top.Aliases), map[string]bool{top.Name: true, top.Description: true}
	for _, a := range text {
		textSeen[a] = true
	}
	hNames, hWords := make([]string, len(rows)), make([]string, len(rows))
	for i, e := range rows {
		hNames[i], hWords[i] = nameKey(e), searchWords(e)
		for _, n := range nameParts(e) {
			if !nameSeen[n] {
				nameSeen[n] = true
				names = append(names, n)
			}
		}
		for _, t := range append([]string{e.Name, e.Description}, e.Aliases...) {
			if t != "" && !textSeen[t] {
				textSeen[t] = true
				text = append(text, t)
			}
		}
	}
	p["nameKey"], p["hNames"], p["hWords"] = strings.Join(names, nameSep), hNames, hWords
	if renamed(rows) {
		p["renamed"] = true
	}
	p["matchKeys"] = matchKeysOf(rows)
	delete(p, "aliasesText")
	if len(text) > 0 {
		p["aliasesText"] = strings.Join(text, "\n")
	}
	return p
}

// renamed reports whether rows have names that List by name sorts apart. The nameOrder
// property holds the top row's key, which the ordered index walk uses; a renamed entity is
// placed by the key of the row of the moment instead (see List).
func renamed(rows []kg.Entity) bool {
	for _, e := range rows[1:] {
		if store.NameOrderKey(e.Name) != store.NameOrderKey(rows[0].Name) {
			return true
		}
	}
	return false
}

// matchKeysOf is the matchKeys property of an entity with these rows: the search keys of
// every name and alias it ever had, space-separated (see match.Keys).
func matchKeysOf(rows []kg.Entity) string {
	var names []string
	for _, e := range rows {
		names = append(names, e.Name)
		names = append(names, e.Aliases...)
	}
	return strings.Join(match.KeysOf(names...), " ")
}

// entityContentProps is the property map of an entity row in the compact encoding, without
// its recorded time and writer.
func entityContentProps(e kg.Entity) map[string]any {
	p := map[string]any{
		"id":        e.ID,
		"kind":      string(e.Kind),
		"name":      e.Name,
		"nameKey":   nameKey(e),
		"nameOrder": store.NameOrderKey(e.Name),
		"validFrom": toFrom(e.Validity.From),
		"validTo":   toTo(e.Validity.To),
		"hash":      contentHash(e),
	}
	if len(e.Aliases) > 0 {
		p["aliases"] = e.Aliases
		p["aliasesText"] = strings.Join(e.Aliases, "\n")
	}
	if e.Description != "" {
		p["description"] = e.Description
	}
	setIf(p, "attributes", jsonProp(e.Attributes))
	p["matchKeys"] = strings.Join(match.KeysOf(append([]string{e.Name}, e.Aliases...)...), " ")
	setIf(p, "obligations", jsonProp(e.Obligations))
	if e.Reach != nil {
		p["reach"] = jsonProp([]kg.Reach{*e.Reach})
	}
	setIf(p, "sources", jsonProp(e.Sources))
	return p
}

func setIf(p map[string]any, k string, v any) {
	if v != nil {
		p[k] = v
	}
}

// signalProps is the full property map of a signal node holding these rows.
func signalProps(rows []kg.RiskSignal) map[string]any {
	if isCompact(rows) {
		return stampProps(signalContentProps(rows[0]), kg.VersionOf(rows[0]))
	}
	_, top, hist := historyProps(rows)
	p := signalContentProps(top)
	maps.Copy(p, hist)
	return p
}

// signalContentProps is the property map of a signal row in the compact encoding, without
// its recorded time and writer.
func signalContentProps(g kg.RiskSignal) map[string]any {
	p := map[string]any{
		"id":        g.ID,
		"entity":    g.EntityID,
		"dimension": string(g.Dimension),
		"severity":  g.Severity,
		"reason":    g.Reason,
		"validFrom": toFrom(g.Validity.From),
		"validTo":   toTo(g.Validity.To),
		"hash":      contentHash(g),
	}
	setIf(p, "sources", jsonProp(g.Sources))
	return p
}

// relProps is the full property map of a relationship holding these rows, for the writes
// that set a whole map (a fact with a history, or a rewrite). Properties at their default are
// left out, as relCols does; a history always stores its validFrom and validTo.
func relProps(rows []kg.Relationship) map[string]any {
	if isCompact(rows) {
		return stampProps(relContentProps(rows[0]), kg.VersionOf(rows[0]))
	}
	_, top, hist := historyProps(rows)
	p := relContentProps(top)
	maps.Copy(p, hist)
	return p
}

// relContentProps is the property map of a relationship row in the compact encoding, without
// its recorded time and writer.
func relContentProps(r kg.Relationship) map[string]any {
	p := map[string]any{"id": r.ID()}
	setIf(p, "confidence", unlessDefault(r.EffectiveConfidence(), 1))
	setIf(p, "inferred", unlessDefault(r.Inferred, false))
	setIf(p, "validFrom", unlessDefault(int64(r.Validity.From), 0))
	setIf(p, "validTo", unlessDefault(int64(r.Validity.To), 0))
	setIf(p, "note", unlessDefault(r.Note, ""))
	setIf(p, "share", unlessDefault(r.Share, 0))
	setIf(p, "obligation", unlessDefault(r.Obligation, ""))
	setIf(p, "sources", jsonProp(r.Sources))
	return p
}

// unlessDefault returns v, or nil when v is the default def.
func unlessDefault[T comparable](v, def T) any {
	if v == def {
		return nil
	}
	return v
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

// hasHistory reports whether p is a fact in the history encoding.
func (p props) hasHistory() bool { _, ok := p["history"]; return ok }

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

// rowsOf returns every row of the fact with properties p: the history, or the one row of
// the compact encoding that compact decodes (with its version).
func rowsOf[T kg.Fact](p props, compact func(props) (T, error)) ([]T, error) {
	if p.hasHistory() {
		rows, err := decodeJSON[T](p, "history")
		if err == nil && len(rows) == 0 {
			err = fmt.Errorf("decode history of %s: no rows", p.str("id"))
		}
		return rows, err
	}
	f, err := compact(p)
	if err != nil {
		return nil, err
	}
	return []T{f}, nil
}

// viewOf returns the fact with properties p as it reads at at: a compact fact as it is (the
// Cypher that returned it checked its visibility), a history through kg.View. False when no
// row of the history holds then.
func viewOf[T kg.Fact](p props, at store.At, compact func(props) (T, error)) (T, bool, error) {
	if !p.hasHistory() {
		f, err := compact(p)
		return f, err == nil, err
	}
	rows, err := rowsOf(p, compact)
	if err != nil {
		var zero T
		return zero, false, err
	}
	f, ok := kg.View(rows, at.AsOf, at.KnownAt)
	return f, ok, nil
}

// decodeEntity reads an entity node's properties in the compact encoding (or the top-level
// properties of a history), with its version.
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
	e.Version = compactVersion(pp)
	var err error
	if e.Attributes, err = decodeJSON[kg.Attribute](pp, "attributes"); err != nil {
		return e, err
	}
	if e.Obligations, err = decodeJSON[kg.Obligation](pp, "obligations"); err != nil {
		return e, err
	}
	reach, err := decodeJSON[kg.Reach](pp, "reach")
	if err != nil {
		return e, err
	}
	if len(reach) == 1 {
		e.Reach = &reach[0]
	}
	if e.Sources, err = decodeJSON[kg.Citation](pp, "sources"); err != nil {
		return e, err
	}
	return e, nil
}

func compactEntity(p props) (kg.Entity, error) { return decodeEntity(map[string]any(p)) }

// entityAt decodes an entity node as it reads at at (see viewOf).
func entityAt(m any, at store.At) (kg.Entity, bool, error) {
	p, ok := m.(map[string]any)
	if !ok {
		return kg.Entity{}, false, fmt.Errorf("decode entity: got %T", m)
	}
	return viewOf(props(p), at, compactEntity)
}

// entityRows decodes every row of an entity node.
func entityRows(m any) ([]kg.Entity, error) {
	p, ok := m.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode entity: got %T", m)
	}
	return rowsOf(props(p), compactEntity)
}

// relReturn is the RETURN expression list that decodeRel reads, for relationship variable r.
const relReturn = "r {.*} AS r, type(r) AS type, startNode(r).id AS from, endNode(r).id AS to"

// decodeRel reads a relationship in the compact encoding (or the top-level properties of a
// history), with its version, from a record holding relReturn.
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
		Share:      pp.f64("share"),
		Obligation: pp.str("obligation"),
		Validity:   pp.validity(),
	}
	r.Version = compactVersion(pp)
	if c, ok := m["confidence"]; ok && c != nil {
		r.Confidence = pp.f64("confidence")
	}
	var err error
	if r.Sources, err = decodeJSON[kg.Citation](pp, "sources"); err != nil {
		return r, err
	}
	return r, nil
}

// relAt decodes a relationship record (relReturn) as it reads at at (see viewOf).
func relAt(rec recordGetter, at store.At) (kg.Relationship, bool, error) {
	m, _ := rec.get("r").(map[string]any)
	return viewOf(props(m), at, func(props) (kg.Relationship, error) { return decodeRel(rec) })
}

// relRows decodes every row of a relationship record (relReturn).
func relRows(rec recordGetter) ([]kg.Relationship, error) {
	m, _ := rec.get("r").(map[string]any)
	return rowsOf(props(m), func(props) (kg.Relationship, error) { return decodeRel(rec) })
}

// decodeSignal reads a signal node's properties in the compact encoding (or the top-level
// properties of a history), with its version.
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
	g.Version = compactVersion(pp)
	var err error
	if g.Sources, err = decodeJSON[kg.Citation](pp, "sources"); err != nil {
		return g, err
	}
	return g, nil
}

func compactSignal(p props) (kg.RiskSignal, error) { return decodeSignal(map[string]any(p)) }

// signalAt decodes a signal node as it reads at at (see viewOf).
func signalAt(m any, at store.At) (kg.RiskSignal, bool, error) {
	p, ok := m.(map[string]any)
	if !ok {
		return kg.RiskSignal{}, false, fmt.Errorf("decode signal: got %T", m)
	}
	return viewOf(props(p), at, compactSignal)
}

// signalRows decodes every row of a signal node.
func signalRows(m any) ([]kg.RiskSignal, error) {
	p, ok := m.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode signal: got %T", m)
	}
	return rowsOf(props(p), compactSignal)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// recordGetter is the part of a driver record the decoders use.
type recordGetter interface{ get(key string) any }
