package embedded

import (
	"fmt"
	"strings"

	"riskgraph/internal/kg"
)

// A sharer makes the rows one index call puts in memory share the strings they repeat,
// instead of each holding its own copy as decoding leaves them: an endpoint's id becomes its
// entity record's id, a type or kind the package's constant and, for rows just decoded from
// the file, a source id its entity's id and repeated free text one string. At a million
// entities and five million relationships, decoded rows held some fifteen million strings
// that only repeated others: a third of the store's objects.
//
// Only rows decoded from the file are the store's alone. Rows of a write may share their
// citation slices with the caller's batch, and stored rows with readers, so a write's
// citations are left as they are; the fields of a row, which Plan copied, are the store's.
type sharer struct {
	s       *Store
	decoded bool                          // the rows were just decoded from the file, and nothing else holds them
	text    map[string]string             // free text met so far, when decoded
	single  map[kg.Citation][]kg.Citation // lists of one citation met so far, when decoded
	nums    map[citeList]uint32           // the numbers of the lists given numbers in this call
}

// citeList names one list of citations: rows sharing a list share its number.
type citeList struct {
	first *kg.Citation
	n     int
}

func newSharer(s *Store, decoded bool) *sharer {
	sh := &sharer{s: s, decoded: decoded}
	if decoded {
		sh.text, sh.single = map[string]string{}, map[kg.Citation][]kg.Citation{}
	}
	return sh
}

// id is the stored entity's own copy of id, or id when no entity has it.
func (sh *sharer) id(id string) string {
	if e := sh.s.ents[id]; e != nil {
		return e.id()
	}
	return id
}

// free is one copy of text x per call on decoded rows; x itself on others.
func (sh *sharer) free(x string) string {
	if sh.text == nil || x == "" {
		return x
	}
	if y, ok := sh.text[x]; ok {
		return y
	}
	sh.text[x] = x
	return x
}

// cites returns citations cs with their strings shared and, when cs is one citation met
// before in this call, the list met before. Rows must not change the lists they share;
// none does: a new row is a new list.
func (sh *sharer) cites(cs []kg.Citation) []kg.Citation {
	if !sh.decoded {
		return cs
	}
	for i := range cs {
		cs[i].SourceID = sh.id(cs[i].SourceID)
		cs[i].Excerpt = sh.free(cs[i].Excerpt)
	}
	if len(cs) == 1 {
		if seen, ok := sh.single[cs[0]]; ok {
			return seen
		}
		sh.single[cs[0]] = cs
	}
	return cs
}

// citeNum is the number of list cs in the store's tables (see tables.cites): the number it
// was given before in this call or, when new, a new number. Lists are numbered as a record
// takes them; a list is not looked for among those of earlier calls, as one write shares
// none with another (and a load's lists are shared by cites first).
func (sh *sharer) citeNum(cs []kg.Citation) uint32 {
	if len(cs) == 0 {
		return 0
	}
	k := citeList{&cs[0], len(cs)}
	n, ok := sh.nums[k]
	if !ok {
		t := &sh.s.tab
		n = uint32(len(t.cites))
		t.cites = append(t.cites, cs)
		if sh.nums == nil {
			sh.nums = map[citeList]uint32{}
		}
		sh.nums[k] = n
	}
	return n
}

// entity shares the strings of entity id's rows; the rows' id becomes id itself. Their
// citations wait for entityCites, once every entity of the call is indexed.
func (sh *sharer) entity(id string, rs []kg.Entity) {
	for i := range rs {
		e := &rs[i]
		e.ID = id
		if k, ok := kg.KindOfID(id); ok && k == e.Kind {
			e.Kind = k
		}
	}
}

// entityCites shares the strings of the citations of entities' rows.
func (sh *sharer) entityCites(ents map[string][]kg.Entity) {
	if !sh.decoded {
		return
	}
	for _, rs := range ents {
		for i := range rs {
			rs[i].Sources = sh.cites(rs[i].Sources)
		}
	}
}

// rels shares the strings of relationship id's rows, checking that its type is known and
// that its endpoints are stored (entities are indexed first). It returns the endpoints'
// records and the type's rank. Every row of a relationship has the same type and ends,
// which its id names.
func (sh *sharer) rels(id string, rs []kg.Relationship) (from, to *entityRec, rank uint8, err error) {
	r0 := rs[0]
	rank, ok := typeRank(r0.Type)
	if !ok {
		return nil, nil, 0, fmt.Errorf("relationship %s: unknown type %q", id, r0.Type)
	}
	from, to = sh.s.ents[r0.From], sh.s.ents[r0.To]
	if from == nil || to == nil {
		return nil, nil, 0, fmt.Errorf("relationship %s: %w", id, errNoEndpoint)
	}
	for i := range rs {
		r := &rs[i]
		if r.Type != r0.Type || r.From != r0.From || r.To != r0.To || r.Obligation != r0.Obligation {
			return nil, nil, 0, fmt.Errorf("relationship %s: row %d has other ends, type or obligation", id, i)
		}
		r.Type, r.From, r.To = typeOrder[rank], from.id(), to.id()
		r.Note = sh.free(r.Note)
		r.Sources = sh.cites(r.Sources)
	}
	// The record keeps no id but makes it from these (relRec.id): they must make this one.
	p := idPieces{from.ident, "-", string(typeOrder[rank]), "->", to.ident}
	if r0.Obligation != "" {
		p[5], p[6] = "#", r0.Obligation
	}
	if comparePieces(p[:], []string{id}) != 0 {
		return nil, nil, 0, fmt.Errorf("relationship %s: its rows make the id %s", id, strings.Join(p[:], ""))
	}
	return from, to, rank, nil
}

// signals shares the strings of a signal's rows.
func (sh *sharer) signals(rs []kg.RiskSignal) {
	for i := range rs {
		g := &rs[i]
		g.EntityID = sh.id(g.EntityID)
		g.Reason = sh.free(g.Reason)
		g.Sources = sh.cites(g.Sources)
	}
}
