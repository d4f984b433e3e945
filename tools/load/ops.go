package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// opKind is a kind of request in the mix.
type opKind uint8

// The operations of the mix. Reads use the reader key, writes the editor key.
const (
	opEntity   opKind = iota // entity(id): a seed entity, or one this client wrote (read-your-writes)
	opNested                 // entity → relationships → ends → their relationships, sources, signals
	opList                   // entities(kind) or entities(filter: related), one page
	opSearch                 // search(text)
	opExposure               // exposure(entityId, dimension, asOf) with contributions and top paths
	opRanking                // riskRanking(dimension, kind, asOf)
	opPaths                  // paths(fromId, toId, maxHops: 4)
	opUpsert                 // upsertEntities: new organisations, or a new version of one this client wrote
	opApply                  // apply: an organisation with USES and SUPPLIED_BY relationships, cited
	numOps
)

var opNames = [numOps]string{"entity", "nested", "list", "search", "exposure", "ranking", "paths", "upsert", "apply"}

func (k opKind) String() string { return opNames[k] }

// write reports whether the operation is a mutation.
func (k opKind) write() bool { return k == opUpsert || k == opApply }

// mix holds the relative weight of each operation.
type mix [numOps]int

// defaultMix is the mix of `make load`: mostly reads, a fifth writes, the expensive
// operations (exposure, ranking, paths) a quarter.
const defaultMix = "entity=20,nested=10,list=5,search=15,exposure=15,ranking=5,paths=5,upsert=15,apply=10"

// parseMix reads "op=weight,…"; operations not named get weight 0.
func parseMix(s string) (mix, error) {
	var m mix
	total := 0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		if !ok {
			return m, fmt.Errorf("mix %q: want op=weight, got %q", s, part)
		}
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 {
			return m, fmt.Errorf("mix %q: weight of %s: want a whole number ≥ 0", s, name)
		}
		k := -1
		for i, on := range opNames {
			if on == strings.TrimSpace(name) {
				k = i
			}
		}
		if k < 0 {
			return m, fmt.Errorf("mix %q: unknown operation %q (known: %s)", s, name, strings.Join(opNames[:], ", "))
		}
		m[k] = n
		total += n
	}
	if total == 0 {
		return m, fmt.Errorf("mix %q: no operation has a weight", s)
	}
	return m, nil
}

// pick draws an operation with probability proportional to its weight.
func (m mix) pick(r *rand.Rand) opKind {
	total := 0
	for _, w := range m {
		total += w
	}
	n := r.IntN(total)
	for k, w := range m {
		if n < w {
			return opKind(k)
		}
		n -= w
	}
	return opEntity // not reached: total > 0
}

// dimensions are the risk dimensions of the schema.
var dimensions = []string{"FOREIGN_INFLUENCE", "REGULATORY", "SANCTIONS", "REPUTATIONAL", "OPERATIONAL"}

// catEntity is an entity the server listed before the load.
type catEntity struct {
	ID        string
	Kind      string
	Name      string
	ValidFrom string // YYYY-MM-DD, "" when open
}

// catalog is what the load draws ids, kinds and search words from: the store's own
// entities as the server lists them today, so that nothing about the seed is hard-coded.
type catalog struct {
	all    []catEntity            // every entity but sources, by id
	byKind map[string][]catEntity // every entity, by kind
	words  []string               // distinct words of four letters or more from the names
	kinds  []string               // kinds that have entities, sorted
	today  time.Time
	dates  int // distinct asOf dates asked for (0: any day)
}

// discover pages through entities(first: 1000) and builds the catalog.
func discover(ctx context.Context, c *gqlClient, key string) (*catalog, error) {
	const q = `query Catalog($after: String) { entities(first: 1000, after: $after) {
  edges { node { id kind name validFrom } } pageInfo { hasNextPage endCursor } } }`
	cat := &catalog{byKind: map[string][]catEntity{}, today: time.Now().UTC().Truncate(24 * time.Hour)}
	words := map[string]bool{}
	var after any
	for page := 0; page < 1000; page++ {
		res := c.do(ctx, key, q, map[string]any{"after": after})
		if out, k := classify(res); out != outOK {
			return nil, fmt.Errorf("list the store's entities: %s", k)
		}
		var d struct {
			Entities struct {
				Edges []struct {
					Node catEntity `json:"node"`
				} `json:"edges"`
				PageInfo struct {
					HasNextPage bool    `json:"hasNextPage"`
					EndCursor   *string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"entities"`
		}
		if err := json.Unmarshal(res.data, &d); err != nil {
			return nil, fmt.Errorf("list the store's entities: decode: %w", err)
		}
		for _, e := range d.Entities.Edges {
			n := e.Node
			cat.byKind[n.Kind] = append(cat.byKind[n.Kind], n)
			if n.Kind != "Source" {
				cat.all = append(cat.all, n)
			}
			for _, w := range strings.FieldsFunc(strings.ToLower(n.Name), func(r rune) bool { return !unicode.IsLetter(r) }) {
				if len(w) >= 4 {
					words[w] = true
				}
			}
		}
		if !d.Entities.PageInfo.HasNextPage || d.Entities.PageInfo.EndCursor == nil {
			break
		}
		after = *d.Entities.PageInfo.EndCursor
	}
	for w := range words {
		cat.words = append(cat.words, w)
	}
	sort.Strings(cat.words)
	for k := range cat.byKind {
		cat.kinds = append(cat.kinds, k)
	}
	sort.Strings(cat.kinds)
	for _, need := range []string{"Source", "Product", "Vendor", "Government"} {
		if len(cat.byKind[need]) == 0 {
			return nil, fmt.Errorf("the store lists no %s entity: the load needs at least one (is it seeded?)", need)
		}
	}
	if len(cat.all) == 0 || len(cat.words) == 0 {
		return nil, errors.New("the store lists no entities to read")
	}
	return cat, nil
}

// anyOf returns a random element of s.
func anyOf[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// firstDate is the earliest asOf the load asks for.
var firstDate = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// dateBetween returns a random day from lo (YYYY-MM-DD, or "" for firstDate) to today:
// any day, or, when c.dates > 0, one of c.dates days spread evenly from firstDate to today.
func (c *catalog) dateBetween(r *rand.Rand, lo string) string {
	from := firstDate
	if t, err := time.Parse(time.DateOnly, lo); err == nil && t.After(from) {
		from = t
	}
	span := int(c.today.Sub(firstDate).Hours() / 24)
	if c.dates > 0 {
		// the grid's days on or after from
		step := max(1, span/c.dates)
		k0 := (int(from.Sub(firstDate).Hours()/24) + step - 1) / step
		if k0 >= c.dates {
			return c.today.Format(time.DateOnly)
		}
		return firstDate.AddDate(0, 0, (k0+r.IntN(c.dates-k0))*step).Format(time.DateOnly)
	}
	days := int(c.today.Sub(from).Hours()/24) + 1
	if days < 1 {
		return c.today.Format(time.DateOnly)
	}
	return from.AddDate(0, 0, r.IntN(days)).Format(time.DateOnly)
}

// call is one request a worker is about to send: what to check in its answer, and what to
// do once its outcome is known.
type call struct {
	op    opKind
	key   string
	query string
	vars  map[string]any
	check func(data json.RawMessage) error                        // for a 2xx answer without errors
	done  func(out outcome, key string, start, end time.Duration) // after classification (writes fill the ledger)
}

// Query texts. Variables carry every value, so each text is parsed once by the server.
const (
	qEntity = `query Entity($id: ID!) { entity(id: $id) {
  id kind name description aliases validFrom version { recordedAt recordedBy } } }`
	qNested = `query Nested($id: ID!) { entity(id: $id) { id name
  sources { excerpt source { id name } }
  signals { id dimension severity }
  relationships(first: 10) { pageInfo { hasNextPage endCursor } edges { node {
    id type confidence sources { excerpt source { name } }
    from { id name }
    to { id name relationships(first: 5) { edges { node { id type } } } } } } } } }`
	qListKind = `query List($kind: EntityKind, $after: String) { entities(kind: $kind, first: 25, after: $after) {
  edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`
	qListRelated = `query Related($type: RelationshipType!, $id: ID!) {
  entities(filter: {related: {type: $type, direction: OUT, entityId: $id}}, first: 25) {
  edges { node { id name kind } } pageInfo { hasNextPage endCursor } } }`
	qSearch   = `query Search($text: String!) { search(text: $text, first: 10) { edges { score node { id name kind } } } }`
	qExposure = `query Exposure($id: ID!, $dim: RiskDimension!, $asOf: Date) {
  exposure(entityId: $id, dimension: $dim, asOf: $asOf) {
  score intrinsic propagated modelVersion asOf maxHops
  contributions { strength share hops signal { id } }
  topPaths(first: 2) { strength steps { from { id } to { id } type flow weight } } } }`
	qRanking = `query Ranking($dim: RiskDimension!, $kind: EntityKind, $asOf: Date) {
  riskRanking(dimension: $dim, kind: $kind, asOf: $asOf, first: 20) {
  modelVersion asOf edges { rank score intrinsic node { id name } } pageInfo { hasNextPage endCursor } } }`
	qPaths = `query Paths($from: ID!, $to: ID!) { paths(fromId: $from, toId: $to, maxHops: 4, first: 5) {
  length entities { id } relationships { id type } } }`
	qUpsert = `mutation Upsert($in: [EntityInput!]!) { upsertEntities(input: $in) { created updated unchanged recordedAt } }`
	qApply  = `mutation Apply($in: BatchInput!) { apply(input: $in) { created updated unchanged recordedAt } }`
)

// worker is one client of the load: it sends one request at a time until told to stop.
type worker struct {
	id        int
	run       string // this run's id, in every id it writes
	rng       *rand.Rand
	cat       *catalog
	readerKey string
	editorKey string
	seq       int // entities this client has named
	rev       int // descriptions this client has written
	led       *ledger
}

// next prepares the worker's next request.
func (w *worker) next(m mix) call {
	r := w.rng
	switch op := m.pick(r); op {
	case opEntity:
		return w.entityRead()
	case opNested:
		id := anyOf(r, w.cat.all).ID
		return call{op: op, key: w.readerKey, query: qNested, vars: map[string]any{"id": id}, check: checkEntityID("entity", id)}
	case opList:
		if r.IntN(2) == 0 {
			return call{op: op, key: w.readerKey, query: qListKind, vars: map[string]any{"kind": anyOf(r, w.cat.kinds)}, check: checkPresent("entities")}
		}
		gov := anyOf(r, w.cat.byKind["Government"]).ID
		return call{op: op, key: w.readerKey, query: qListRelated, vars: map[string]any{"type": "HEADQUARTERED_IN", "id": gov}, check: checkPresent("entities")}
	case opSearch:
		text := anyOf(r, w.cat.words)
		if r.IntN(4) == 0 {
			text += " " + anyOf(r, w.cat.words)
		}
		return call{op: op, key: w.readerKey, query: qSearch, vars: map[string]any{"text": text}, check: checkPresent("search")}
	case opExposure:
		e := anyOf(r, w.cat.all)
		vars := map[string]any{"id": e.ID, "dim": anyOf(r, dimensions)}
		if own := w.led.own; len(own) > 0 && r.IntN(4) == 0 {
			vars["id"] = anyOf(r, own) // valid from the day of the write: read for today
		} else if r.IntN(2) == 0 {
			vars["asOf"] = w.cat.dateBetween(r, e.ValidFrom)
		}
		return call{op: op, key: w.readerKey, query: qExposure, vars: vars, check: checkExposure}
	case opRanking:
		vars := map[string]any{"dim": anyOf(r, dimensions)}
		if r.IntN(2) == 0 {
			vars["kind"] = anyOf(r, w.cat.kinds)
		}
		if r.IntN(2) == 0 {
			vars["asOf"] = w.cat.dateBetween(r, "")
		}
		return call{op: op, key: w.readerKey, query: qRanking, vars: vars, check: checkRanking}
	case opPaths:
		from := anyOf(r, w.cat.all).ID
		to := anyOf(r, w.cat.byKind["Government"]).ID
		return call{op: op, key: w.readerKey, query: qPaths, vars: map[string]any{"from": from, "to": to}, check: checkPresent("paths")}
	case opUpsert:
		return w.upsert()
	default:
		return w.apply()
	}
}

// entityRead reads a seed entity or, half the time once it has some, an entity this
// client wrote and had acknowledged, expecting the description it last wrote.
func (w *worker) entityRead() call {
	r := w.rng
	if len(w.led.own) > 0 && r.IntN(2) == 0 {
		id := anyOf(r, w.led.own)
		f := w.led.facts[id]
		return call{op: opEntity, key: w.readerKey, query: qEntity, vars: map[string]any{"id": id},
			check: func(data json.RawMessage) error {
				var d struct {
					Entity *struct {
						ID          string  `json:"id"`
						Description *string `json:"description"`
					} `json:"entity"`
				}
				if err := json.Unmarshal(data, &d); err != nil || d.Entity == nil || d.Entity.ID != id {
					return errors.New("entity: an acknowledged write is missing")
				}
				if d.Entity.Description == nil || !f.accepts(*d.Entity.Description) {
					return errors.New("entity: an acknowledged write reads back with other content")
				}
				return nil
			}}
	}
	id := anyOf(r, w.cat.all).ID
	return call{op: opEntity, key: w.readerKey, query: qEntity, vars: map[string]any{"id": id}, check: checkEntityID("entity", id)}
}

// newOrg names a new organisation of this client.
func (w *worker) newOrg() (id string, in map[string]any) {
	w.seq++
	w.rev++
	id = fmt.Sprintf("organization:load-%s-c%03d-%05d", w.run, w.id, w.seq)
	return id, map[string]any{
		"id": id, "kind": "Organization",
		"name":        fmt.Sprintf("Load test buyer %s c%d n%d", w.run, w.id, w.seq),
		"description": w.description(),
		"aliases":     []string{fmt.Sprintf("LT %d-%d", w.id, w.seq)},
		"attributes":  []map[string]any{{"key": "written-by", "value": "tools/load"}},
	}
}

func (w *worker) description() string {
	return fmt.Sprintf("Written by client %d of load run %s, revision %d.", w.id, w.run, w.rev)
}

// maxUpdates is how many new versions the load gives one entity at most.
const maxUpdates = 200

// upsert creates one to three organisations, or, a third of the time once it has some,
// gives one it wrote a new description (a new version).
func (w *worker) upsert() call {
	r := w.rng
	var rows []map[string]any
	var facts []pendingFact
	var f *fact
	if len(w.led.own) > 0 && r.IntN(3) == 0 {
		f = w.led.facts[anyOf(r, w.led.own)]
	}
	if f != nil && f.updates < maxUpdates {
		// A version opens on a day after the one in force (another version from the same
		// day would be a correction): the k-th update opens on today − maxUpdates + k, so
		// the newest version is the one read for today.
		f.updates++
		w.rev++
		d := w.description()
		from := w.cat.today.AddDate(0, 0, f.updates-maxUpdates).Format(time.DateOnly)
		rows = append(rows, map[string]any{"id": f.id, "kind": "Organization", "name": f.name, "description": d, "validFrom": from})
		facts = append(facts, pendingFact{id: f.id, entity: true, value: d, name: f.name})
	} else {
		for n := 1 + r.IntN(3); n > 0; n-- {
			id, in := w.newOrg()
			rows = append(rows, in)
			facts = append(facts, pendingFact{id: id, entity: true, value: in["description"].(string), name: in["name"].(string)})
		}
	}
	return w.writeCall(opUpsert, qUpsert, map[string]any{"in": rows}, "upsertEntities", facts)
}

// apply writes an organisation that uses a product and buys from a vendor, all cited, in
// one all-or-nothing batch.
func (w *worker) apply() call {
	r := w.rng
	id, org := w.newOrg()
	src := anyOf(r, w.cat.byKind["Source"]).ID
	cite := []map[string]any{{"sourceId": src, "excerpt": "Synthetic fact written by the load test."}}
	org["sources"] = cite
	product := anyOf(r, w.cat.byKind["Product"]).ID
	vendor := anyOf(r, w.cat.byKind["Vendor"]).ID
	rels := []map[string]any{
		{"type": "USES", "fromId": id, "toId": product, "confidence": 0.9, "sources": cite},
		{"type": "SUPPLIED_BY", "fromId": id, "toId": vendor, "note": "load test"},
	}
	facts := []pendingFact{
		{id: id, entity: true, value: org["description"].(string), name: org["name"].(string)},
		{id: id + "-USES->" + product},
		{id: id + "-SUPPLIED_BY->" + vendor},
	}
	in := map[string]any{"entities": []map[string]any{org}, "relationships": rels}
	return w.writeCall(opApply, qApply, map[string]any{"in": in}, "apply", facts)
}

// writeCall wraps a mutation: a 2xx answer must name every fact written; the ledger then
// counts them acknowledged. A refusal before execution (429) writes nothing; any other
// failure may or may not have written, and the ledger keeps its content as possible.
func (w *worker) writeCall(op opKind, query string, vars map[string]any, field string, facts []pendingFact) call {
	return call{op: op, key: w.editorKey, query: query, vars: vars,
		check: func(data json.RawMessage) error {
			var d map[string]*struct {
				Created   []string `json:"created"`
				Updated   []string `json:"updated"`
				Unchanged []string `json:"unchanged"`
			}
			if err := json.Unmarshal(data, &d); err != nil || d[field] == nil {
				return fmt.Errorf("%s: no write result", field)
			}
			seen := map[string]bool{}
			for _, l := range [][]string{d[field].Created, d[field].Updated, d[field].Unchanged} {
				for _, id := range l {
					seen[id] = true
				}
			}
			for _, f := range facts {
				if !seen[f.id] {
					return fmt.Errorf("%s: the write result does not name a fact written", field)
				}
			}
			return nil
		},
		done: func(out outcome, key string, start, end time.Duration) {
			switch out {
			case outOK:
				w.led.acknowledge(facts)
			case outLimited:
				w.led.refused += len(facts)
			default:
				w.led.uncertain(facts, failure{key: key, start: start, end: end})
			}
		}}
}

// checkEntityID expects data.<field>.id to be id.
func checkEntityID(field, id string) func(json.RawMessage) error {
	return func(data json.RawMessage) error {
		var d map[string]*struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(data, &d); err != nil || d[field] == nil || d[field].ID != id {
			return fmt.Errorf("%s: not the entity asked for", field)
		}
		return nil
	}
}

// checkPresent expects data.<field> to be there and not null.
func checkPresent(field string) func(json.RawMessage) error {
	return func(data json.RawMessage) error {
		var d map[string]json.RawMessage
		if err := json.Unmarshal(data, &d); err != nil || len(d[field]) == 0 || string(d[field]) == "null" {
			return fmt.Errorf("%s: missing from the answer", field)
		}
		return nil
	}
}

func checkExposure(data json.RawMessage) error {
	var d struct {
		Exposure *struct {
			Score float64 `json:"score"`
		} `json:"exposure"`
	}
	if err := json.Unmarshal(data, &d); err != nil || d.Exposure == nil {
		return errors.New("exposure: missing from the answer")
	}
	if s := d.Exposure.Score; s < 0 || s > 1 {
		return errors.New("exposure: score outside [0,1]")
	}
	return nil
}

func checkRanking(data json.RawMessage) error {
	var d struct {
		RiskRanking *struct {
			Edges []struct {
				Rank  int     `json:"rank"`
				Score float64 `json:"score"`
			} `json:"edges"`
		} `json:"riskRanking"`
	}
	if err := json.Unmarshal(data, &d); err != nil || d.RiskRanking == nil {
		return errors.New("riskRanking: missing from the answer")
	}
	for i, e := range d.RiskRanking.Edges {
		if e.Score < 0 || e.Score > 1 || (i > 0 && (e.Rank <= d.RiskRanking.Edges[i-1].Rank || e.Score > d.RiskRanking.Edges[i-1].Score)) {
			return errors.New("riskRanking: not ranked by score")
		}
	}
	return nil
}
