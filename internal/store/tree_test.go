package store

import (
	"testing"

	"riskgraph/internal/kg"
)

// TestTreeFitsAgreesWithTheCheck: a tree TreeFits accepts passes checkTree, and one it
// refuses is refused by checkTree, so callers that fall back never meet the error.
func TestTreeFitsAgreesWithTheCheck(t *testing.T) {
	deep := Branch{}
	for range MaxTreeDepth {
		deep = Branch{Page: Page{First: 2}, Branches: []Branch{deep}}
	}
	wide := make([]Branch, MaxTreeBranches+1)
	nested3 := []Branch{{Direction: kg.Out, Types: []kg.RelType{kg.RelMakes}, Page: Page{First: 20}, Branches: []Branch{
		{Direction: kg.In, Page: Page{First: 600}}, {Direction: kg.In, Page: Page{First: 600}}}}}
	for _, tc := range []struct {
		what string
		q    TreeQuery
		fits bool
	}{
		{"nested3", TreeQuery{Roots: []string{"vendor:a"}, Branches: nested3}, true},
		{"four levels", TreeQuery{Roots: []string{"vendor:a"}, Branches: deep.Branches}, true},
		{"five levels", TreeQuery{Roots: []string{"vendor:a"}, Branches: []Branch{deep}}, false},
		{"too many branches", TreeQuery{Roots: []string{"vendor:a"}, Branches: wide}, false},
		{"too many rows", TreeQuery{Roots: []string{"vendor:a", "vendor:b", "vendor:c", "vendor:d", "vendor:e"}, Branches: nested3}, false},
	} {
		_, err := checkTree(tc.q)
		if got := TreeFits(tc.q); got != tc.fits || (err == nil) != tc.fits {
			t.Errorf("%s: TreeFits %v, checkTree error %v; want fits %v", tc.what, got, err, tc.fits)
		}
	}
}
