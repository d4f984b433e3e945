package embedded

import (
	"math"

	"riskgraph/internal/kg"
)

// tables hold what records refer to by number rather than by pointer: entity records by
// entityRec.seq, relationship records by their place in the slabs, and the versions,
// citation lists and confidences relationship records use. A relationship record and an
// adjacency entry then hold no pointer the collector must follow (a record keeps one for
// its rare fields, nil in most): at 5M relationships that was 35M pointers marked on every
// cycle, and numbers of 4 bytes instead of pointers and slices made the records and
// entries 260 MB smaller.
//
// Tables only grow, under the write lock; reads hold the read lock.
type tables struct {
	ents   []*entityRec       // by entityRec.seq
	slabs  []*[relSlab]relRec // relationship records: number n is slabs[n/relSlab][n%relSlab]
	nrel   uint32             // relationship records in use
	vers   []*kg.Version      // 0 is none
	verOf  map[*kg.Version]uint32
	cites  [][]kg.Citation   // 0 is none
	confs  []float64         // 0 is 0
	confOf map[uint64]uint32 // by the bits of the confidence
}

// relSlab is how many relationship records one allocation holds: relationships are never
// deleted, and 5M records of their own were 5M objects for the collector to find.
const relSlab = 4096

func newTables() tables {
	return tables{vers: []*kg.Version{nil}, verOf: map[*kg.Version]uint32{}, cites: [][]kg.Citation{nil},
		confs: []float64{0}, confOf: map[uint64]uint32{0: 0}}
}

// ent is the entity record numbered seq.
func (t *tables) ent(seq int32) *entityRec { return t.ents[seq] }

// rec is relationship record number n.
func (t *tables) rec(n uint32) *relRec { return &t.slabs[n/relSlab][n%relSlab] }

// newRel is a new relationship record and its number.
func (t *tables) newRel() (*relRec, uint32) {
	n := t.nrel
	if n%relSlab == 0 {
		t.slabs = append(t.slabs, new([relSlab]relRec))
	}
	t.nrel++
	return t.rec(n), n
}

// verNum is the number of version v, an interned one (see intern) or nil.
func (t *tables) verNum(v *kg.Version) uint32 {
	if v == nil {
		return 0
	}
	n, ok := t.verOf[v]
	if !ok {
		n = uint32(len(t.vers))
		t.vers = append(t.vers, v)
		t.verOf[v] = n
	}
	return n
}

// confNum is the number of confidence c.
func (t *tables) confNum(c float64) uint32 {
	b := math.Float64bits(c)
	n, ok := t.confOf[b]
	if !ok {
		n = uint32(len(t.confs))
		t.confs = append(t.confs, c)
		t.confOf[b] = n
	}
	return n
}
