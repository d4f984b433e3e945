package embedded

import (
	"strings"

	"riskgraph/internal/store"
)

// A relationship's id (kg.Relationship.ID: from-TYPE->to, then #obligation for
// COMPLIED_WITH) follows from its record, so records do not keep it: at 5M relationships the
// ids were 280 MB. Orders and searches by id compare the pieces the id is made of, without
// making it.

// idPieces are the pieces whose concatenation is an id.
type idPieces [7]string

// pieces are the pieces of the relationship's id.
func (r *relRec) pieces(t *tables) idPieces {
	p := idPieces{t.ent(r.from).ident, "-", string(typeOrder[r.rank]), "->", t.ent(r.to).ident}
	if o := r.obligation(); o != "" {
		p[5], p[6] = "#", o
	}
	return p
}

// id is the relationship's id, made on the spot.
func (r *relRec) id(t *tables) string {
	p := r.pieces(t)
	return strings.Join(p[:], "")
}

// walkID is the id a walk hands v for r: none when v skips ids (store.FactVisitor.SkipIDs).
func walkID(t *tables, v store.FactVisitor, r *relRec) string {
	if v.SkipIDs {
		return ""
	}
	return r.id(t)
}

// obligation is what the relationship complied with, "" for all but COMPLIED_WITH; every
// row of one relationship has the same, as it is part of the id.
func (r *relRec) obligation() string {
	switch {
	case r.rare == nil:
		return ""
	case r.multi:
		return r.rare.rows[0].Obligation
	}
	return r.rare.obligation
}

// compareIDs orders two relationships as strings.Compare orders their ids.
func (t *tables) compareIDs(a, b *relRec) int {
	if a == b {
		return 0
	}
	pa, pb := a.pieces(t), b.pieces(t)
	start := 0
	if a.from == b.from && a.rank == b.rank {
		start = 4 // the same From and type: the ids differ from the To on
	}
	return comparePieces(pa[start:], pb[start:])
}

// compareID orders a relationship's id against id as strings.Compare would.
func (t *tables) compareID(r *relRec, id string) int {
	p := r.pieces(t)
	return comparePieces(p[:], []string{id})
}

// comparePieces compares the concatenation of a's pieces with that of b's.
func comparePieces(a, b []string) int {
	var x, y string
	for {
		for len(x) == 0 && len(a) > 0 {
			x, a = a[0], a[1:]
		}
		for len(y) == 0 && len(b) > 0 {
			y, b = b[0], b[1:]
		}
		switch {
		case len(x) == 0 && len(y) == 0:
			return 0
		case len(x) == 0:
			return -1
		case len(y) == 0:
			return 1
		}
		n := min(len(x), len(y))
		if c := strings.Compare(x[:n], y[:n]); c != 0 {
			return c
		}
		x, y = x[n:], y[n:]
	}
}
