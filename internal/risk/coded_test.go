package risk

import (
	"slices"
	"testing"
)

// TestCodedValues: values added to a coded array read back in order, whether they are few
// (coded) or more than 1<<16 distinct (kept as they are from the first value past the codes
// on), after done and reordered.
func TestCodedValues(t *testing.T) {
	for _, distinct := range []int{3, 1<<16 + 10} {
		var c coded[float64]
		var want []float64
		for i := range 2 * distinct {
			x := float64(i%distinct) / 7
			c.add(x)
			want = append(want, x)
		}
		if coded := c.code != nil; coded != (distinct <= 1<<16) {
			t.Errorf("%d distinct values: coded %v", distinct, coded)
		}
		c.done()
		if c.len() != len(want) {
			t.Fatalf("%d distinct values: %d held, want %d", distinct, c.len(), len(want))
		}
		for i, x := range want {
			if got := c.at(i); got != x {
				t.Fatalf("%d distinct values: value %d is %v, want %v", distinct, i, got, x)
			}
		}
		perm := make([]int32, len(want))
		for i := range perm {
			perm[i] = int32(len(want) - 1 - i)
		}
		p := c.permuted(perm)
		slices.Reverse(want)
		for i, x := range want {
			if got := p.at(i); got != x {
				t.Fatalf("%d distinct values, reversed: value %d is %v, want %v", distinct, i, got, x)
			}
		}
	}
}
