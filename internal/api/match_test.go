package api_test

import (
	"encoding/json"
	"testing"
)

// Screening and typo-tolerant search on the seed, on both backends.
func TestMatchAndFuzzySearch(t *testing.T) { onEachBackend(t, testMatchAndFuzzySearch) }

func testMatchAndFuzzySearch(t *testing.T, f *fixture) {
	r := f.do(t, `{ match(candidates: [
	    {name: "Kaspersky Labs", country: "RU"}
	    {name: "kasperski"}
	    {name: "bestbuy", kind: Retailer}
	    {name: "Zyxwv Quartzite Holdings"}
	    {name: "anything", ids: ["vendor:kaspersky-lab"]}
	  ], asOf: "2017-10-01") { name verdict matches { node { id } score matchedName reasons { kind weight } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("match: %+v", r.Errors)
	}
	var got struct {
		Match []struct {
			Name    string
			Verdict string
			Matches []struct {
				Node    struct{ ID string }
				Score   float64
				Reasons []struct {
					Kind   string
					Weight float64
				}
			}
		}
	}
	if err := json.Unmarshal(r.Data, &got); err != nil {
		t.Fatal(err)
	}
	want := []struct{ verdict, id string }{
		{"MATCH", "vendor:kaspersky-lab"}, {"MATCH", "vendor:kaspersky-lab"}, {"MATCH", "retailer:best-buy"},
		{"NONE", ""}, {"MATCH", "vendor:kaspersky-lab"},
	}
	if len(got.Match) != len(want) {
		t.Fatalf("%d results for %d candidates", len(got.Match), len(want))
	}
	for i, w := range want {
		c := got.Match[i]
		if c.Verdict != w.verdict || (w.id != "" && (len(c.Matches) == 0 || c.Matches[0].Node.ID != w.id)) {
			t.Errorf("%q: %s %+v, want %s %s", c.Name, c.Verdict, c.Matches, w.verdict, w.id)
			continue
		}
		for _, m := range c.Matches {
			sum := 0.0
			for _, rs := range m.Reasons {
				sum += rs.Weight
			}
			if d := sum - m.Score; d > 1e-6 || d < -1e-6 {
				t.Errorf("%q → %s: reasons add up to %v, score %v", c.Name, m.Node.ID, sum, m.Score)
			}
		}
	}
	for _, text := range []string{"kasperski", "Kaspersky Labs", "bestbuy"} {
		r := f.do(t, `query($t: String!) { search(text: $t, asOf: "2017-10-01") { edges { node { id } } } }`, map[string]any{"t": text})
		var s struct {
			Search struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		if err := json.Unmarshal(r.Data, &s); err != nil || len(r.Errors) > 0 {
			t.Fatalf("search %q: %v %+v", text, err, r.Errors)
		}
		if len(s.Search.Edges) == 0 {
			t.Errorf("search %q finds nothing", text)
		}
	}
	if r := f.do(t, `{ match(candidates: [{name: "  "}]) { verdict } }`, nil); r.code() != "INVALID_INPUT" {
		t.Errorf("an empty name: %+v, want INVALID_INPUT", r.Errors)
	}
}
