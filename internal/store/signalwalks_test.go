package store

import (
	"slices"
	"testing"
)

// SignalWalkCut keeps the roots and what lies on a walk of at most maxHops from a signal to a
// root, and cuts branches that lead to no signal, or to one too far away.
func TestSignalWalkCut(t *testing.T) {
	// 0 and 8 are roots. 0→1→2→3 leads to a signal at 3; 0→4→5 and 6→7 lead to none; 6→2
	// joins the first chain (6 is 1 hop from the root and 2 from the signal). No signal is
	// near 8.
	hop := []int32{0, 1, 2, 3, 1, 2, 1, 2, 0}
	arcs := [][2]int32{{0, 1}, {1, 2}, {2, 3}, {0, 4}, {4, 5}, {0, 6}, {6, 7}, {6, 2}}
	signal := make([]bool, len(hop))
	signal[3] = true
	got := SignalWalkCut(hop, arcs, signal, 3)
	want := []bool{true, true, true, true, false, false, true, false, true}
	if !slices.Equal(got, want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	// No signal at all: only the root stays.
	hop2, arcs2 := hop[:3], [][2]int32{{0, 1}, {1, 2}}
	if got := SignalWalkCut(hop2, arcs2, make([]bool, 3), 2); !slices.Equal(got, []bool{true, false, false}) {
		t.Fatalf("without signals kept %v, want only the root", got)
	}
	// A signal on the root alone keeps the root alone.
	sig := []bool{true, false, false}
	if got := SignalWalkCut(hop2, arcs2, sig, 2); !slices.Equal(got, []bool{true, false, false}) {
		t.Fatalf("with the root's signal only kept %v", got)
	}
}
