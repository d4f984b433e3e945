package api_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// The analyst's case of risk model v3, built through the public mutations on both backends: a
// directive names a vendor; the vendor owns a subsidiary whose product a bound agency uses;
// a second bound agency uses nothing covered; a foreign law applies to the parent.
func TestRiskModelV3(t *testing.T) { onEachBackend(t, testRiskModelV3) }

// v3Case is the case's write: one apply, all or nothing.
const v3Case = `mutation { apply(input: {
  entities: [
    {id: "source:test-v3-notice", kind: Source, name: "A test notice", validFrom: "2020-01-01"}
    {id: "government:test-v3-state", kind: Government, name: "Test State", validFrom: "2000-01-01"}
    {id: "law:test-v3-compulsion", kind: Law, name: "Test compulsion law", validFrom: "2000-01-01"}
    {id: "vendor:test-v3-parent", kind: Vendor, name: "Parent Software", validFrom: "2000-01-01"}
    {id: "vendor:test-v3-sub", kind: Vendor, name: "Parent Software Labs", validFrom: "2000-01-01"}
    {id: "vendor:test-v3-minority", kind: Vendor, name: "Minority Holding", validFrom: "2000-01-01"}
    {id: "vendor:test-v3-jv", kind: Vendor, name: "Joint venture", validFrom: "2000-01-01"}
    {id: "product:test-v3-scanner", kind: Product, name: "Sub Scanner", validFrom: "2000-01-01"}
    {id: "agency:test-v3-bound", kind: Agency, name: "Bound agency", validFrom: "2000-01-01"}
    {id: "agency:test-v3-idle", kind: Agency, name: "Idle agency", validFrom: "2000-01-01"}
    {id: "directive:test-v3-ban", kind: Directive, name: "Test ban", validFrom: "2020-03-01",
     sources: [{sourceId: "source:test-v3-notice", excerpt: "The ban."}],
     obligations: [
       {id: "identify", title: "Identify the products", due: "2020-03-31"}
       {id: "remove", title: "Remove the products", due: "2020-05-30"}]}
  ]
  relationships: [
    {type: TARGETS, fromId: "directive:test-v3-ban", toId: "vendor:test-v3-parent", validFrom: "2020-03-01",
     sources: [{sourceId: "source:test-v3-notice", excerpt: "Names the parent."}]}
    {type: BINDS, fromId: "directive:test-v3-ban", toId: "agency:test-v3-bound", validFrom: "2020-03-01"}
    {type: BINDS, fromId: "directive:test-v3-ban", toId: "agency:test-v3-idle", validFrom: "2020-03-01"}
    {type: OWNED_BY, fromId: "vendor:test-v3-sub", toId: "vendor:test-v3-parent", share: 100, validFrom: "2000-01-01"}
    {type: OWNED_BY, fromId: "vendor:test-v3-minority", toId: "vendor:test-v3-parent", share: 20, validFrom: "2000-01-01"}
    {type: OWNED_BY, fromId: "vendor:test-v3-jv", toId: "vendor:test-v3-parent", share: 30, validFrom: "2000-01-01"}
    {type: OWNED_BY, fromId: "vendor:test-v3-jv", toId: "vendor:test-v3-sub", share: 25, validFrom: "2000-01-01"}
    {type: MAKES, fromId: "vendor:test-v3-sub", toId: "product:test-v3-scanner", validFrom: "2000-01-01"}
    {type: USES, fromId: "agency:test-v3-bound", toId: "product:test-v3-scanner", validFrom: "2010-01-01"}
    {type: ENACTED, fromId: "government:test-v3-state", toId: "law:test-v3-compulsion", validFrom: "2000-01-01"}
    {type: APPLIES_TO, fromId: "law:test-v3-compulsion", toId: "vendor:test-v3-parent", validFrom: "2000-01-01"}
  ]
  signals: [
    {id: "signal:test-v3-ban", entityId: "directive:test-v3-ban", dimension: REGULATORY, severity: 0.9, reason: "a ban", validFrom: "2020-03-01"}
    {id: "signal:test-v3-ban-sanctions", entityId: "directive:test-v3-ban", dimension: SANCTIONS, severity: 0.8, reason: "a listing", validFrom: "2020-03-01"}
    {id: "signal:test-v3-state", entityId: "government:test-v3-state", dimension: FOREIGN_INFLUENCE, severity: 0.8, reason: "compels", validFrom: "2000-01-01"}
  ]}) { created } }`

func testRiskModelV3(t *testing.T, f *fixture) {
	must := func(t *testing.T, query string, out any) {
		t.Helper()
		r := f.do(t, query, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: errors %+v", query, r.Errors)
		}
		if out != nil {
			if err := json.Unmarshal(r.Data, out); err != nil {
				t.Fatalf("%s: %v", r.Data, err)
			}
		}
	}
	must(t, v3Case, nil)

	t.Run("coverage reaches affiliates, their products and the 50% rule", func(t *testing.T) {
		var got struct {
			Coverage struct {
				Entities []struct {
					Node   struct{ ID string }
					Reason string
					Chain  []struct {
						ID      string
						Sources []struct{ SourceID string }
					}
					Owners []struct {
						Owner struct{ ID string }
						Share float64
					}
				}
			}
		}
		must(t, `{ coverage(ruleId: "directive:test-v3-ban", asOf: "2020-04-01") { entities {
		  node { id } reason chain { id sources { sourceId } } owners { owner { id } share } } } }`, &got)
		reasons := map[string]string{}
		chains := map[string][]string{}
		for _, e := range got.Coverage.Entities {
			reasons[e.Node.ID] = e.Reason
			for _, c := range e.Chain {
				chains[e.Node.ID] = append(chains[e.Node.ID], c.ID)
			}
			if e.Reason == "FIFTY_PERCENT" {
				total := 0.0
				for _, o := range e.Owners {
					total += o.Share
				}
				if total != 55 || len(e.Owners) != 2 {
					t.Errorf("%s under the 50%% rule with owners %+v, want 30%% + 25%%", e.Node.ID, e.Owners)
				}
			}
		}
		want := map[string]string{
			"vendor:test-v3-parent":   "TARGETED",
			"vendor:test-v3-sub":      "CONTROLLED_BY",
			"product:test-v3-scanner": "PRODUCT",
			"vendor:test-v3-jv":       "FIFTY_PERCENT",
		}
		for id, r := range want {
			if reasons[id] != r {
				t.Errorf("%s covered as %q, want %s (all: %v)", id, reasons[id], r, reasons)
			}
		}
		if r, ok := reasons["vendor:test-v3-minority"]; ok {
			t.Errorf("a 20%% stake is not control, yet the minority holding is covered as %s", r)
		}
		wantChain := []string{"directive:test-v3-ban-TARGETS->vendor:test-v3-parent",
			"vendor:test-v3-sub-OWNED_BY->vendor:test-v3-parent", "vendor:test-v3-sub-MAKES->product:test-v3-scanner"}
		if !slices.Equal(chains["product:test-v3-scanner"], wantChain) {
			t.Errorf("the product's chain %v, want %v", chains["product:test-v3-scanner"], wantChain)
		}
		if got := got.Coverage.Entities[0]; got.Node.ID != "vendor:test-v3-parent" || len(got.Chain) != 1 || len(got.Chain[0].Sources) != 1 {
			t.Errorf("the target comes first, with its TARGETS fact and its source: %+v", got)
		}
	})

	type party struct {
		Party       struct{ ID string }
		Status      string
		Offending   []struct{ ID string }
		Obligations []struct {
			ID       string
			Status   string
			MetOn    *string
			Late     bool
			Evidence *struct {
				Sources []struct{ SourceID string }
			}
		}
	}
	compliance := func(t *testing.T, asOf string) map[string]party {
		t.Helper()
		var got struct {
			Compliance struct {
				InForce bool
				Parties []party
			}
		}
		must(t, fmt.Sprintf(`{ compliance(directiveId: "directive:test-v3-ban", asOf: %q) { inForce parties {
		  party { id } status offending { id } obligations { id status metOn late evidence { sources { sourceId } } } } } }`, asOf), &got)
		out := map[string]party{}
		for _, p := range got.Compliance.Parties {
			out[p.Party.ID] = p
		}
		if len(out) != 2 {
			t.Fatalf("compliance on %s: %d parties, want the two bound agencies", asOf, len(out))
		}
		return out
	}
	status := func(p party) string {
		s := []string{p.Status}
		for _, o := range p.Obligations {
			s = append(s, strings.TrimPrefix(o.ID, "directive:test-v3-ban#")+"="+o.Status)
		}
		return strings.Join(s, " ")
	}

	t.Run("compliance sees what the affiliate makes", func(t *testing.T) {
		for asOf, want := range map[string][2]string{
			"2020-01-01": {"NOT_IN_FORCE identify=NOT_IN_FORCE remove=NOT_IN_FORCE", "NOT_IN_FORCE identify=NOT_IN_FORCE remove=NOT_IN_FORCE"},
			"2020-03-10": {"PENDING identify=PENDING remove=PENDING", "NOT_APPLICABLE identify=NOT_APPLICABLE remove=NOT_APPLICABLE"},
			"2020-04-10": {"OVERDUE identify=OVERDUE remove=PENDING", "NOT_APPLICABLE identify=NOT_APPLICABLE remove=NOT_APPLICABLE"},
		} {
			got := compliance(t, asOf)
			if s := status(got["agency:test-v3-bound"]); s != want[0] {
				t.Errorf("bound agency on %s: %s, want %s", asOf, s, want[0])
			}
			if s := status(got["agency:test-v3-idle"]); s != want[1] {
				t.Errorf("idle agency on %s: %s, want %s", asOf, s, want[1])
			}
		}
		off := compliance(t, "2020-03-10")["agency:test-v3-bound"].Offending
		if len(off) != 1 || off[0].ID != "agency:test-v3-bound-USES->product:test-v3-scanner" {
			t.Errorf("the bound agency's offending facts: %+v, want its use of the subsidiary's product", off)
		}
	})

	t.Run("evidence per obligation", func(t *testing.T) {
		r := f.do(t, `mutation { recordCompliance(partyId: "agency:test-v3-bound", obligationId: "directive:test-v3-ban#audit",
		  on: "2020-03-20", sources: [{sourceId: "source:test-v3-notice", excerpt: "x"}]) { created } }`, nil)
		if r.code() != "INVALID_INPUT" || !strings.Contains(r.Errors[0].Message, "audit") {
			t.Fatalf("evidence for an obligation the directive does not have: %+v, want INVALID_INPUT naming it", r.Errors)
		}
		var rec struct{ RecordCompliance struct{ Created []string } }
		must(t, `mutation { recordCompliance(partyId: "agency:test-v3-bound", obligationId: "directive:test-v3-ban#identify",
		  on: "2020-03-20", sources: [{sourceId: "source:test-v3-notice", excerpt: "The agency's inventory report."}]) { created } }`, &rec)
		if want := []string{"agency:test-v3-bound-COMPLIED_WITH->directive:test-v3-ban#identify"}; !slices.Equal(rec.RecordCompliance.Created, want) {
			t.Errorf("recordCompliance created %v, want %v", rec.RecordCompliance.Created, want)
		}
		for asOf, want := range map[string]string{
			"2020-03-10": "PENDING identify=PENDING remove=PENDING", // before the evidence's day
			"2020-04-10": "PENDING identify=MET remove=PENDING",
			"2020-06-10": "OVERDUE identify=MET remove=OVERDUE",
		} {
			if s := status(compliance(t, asOf)["agency:test-v3-bound"]); s != want {
				t.Errorf("bound agency on %s: %s, want %s", asOf, s, want)
			}
		}
		met := compliance(t, "2020-06-10")["agency:test-v3-bound"].Obligations[0]
		if met.MetOn == nil || *met.MetOn != "2020-03-20" || met.Late || met.Evidence == nil || len(met.Evidence.Sources) != 1 {
			t.Errorf("the met obligation: %+v, want met on 2020-03-20, on time, with its source", met)
		}
	})

	type contribution struct {
		Signal struct{ ID string }
		Hops   int
		Steps  []struct{ Type string }
	}
	exposure := func(t *testing.T, id, dim, asOf string) (float64, []contribution) {
		t.Helper()
		var got struct {
			Exposure struct {
				Score         float64
				Contributions []contribution
			}
		}
		must(t, fmt.Sprintf(`{ exposure(entityId: %q, dimension: %s, asOf: %q) { score contributions { signal { id } hops steps { type } } } }`,
			id, dim, asOf), &got)
		return got.Exposure.Score, got.Exposure.Contributions
	}

	t.Run("being bound is no exposure", func(t *testing.T) {
		if s, _ := exposure(t, "agency:test-v3-idle", "REGULATORY", "2020-04-10"); s != 0 {
			t.Errorf("an agency bound by the ban that uses nothing covered scores %v, want 0", s)
		}
		s, cs := exposure(t, "agency:test-v3-bound", "REGULATORY", "2020-04-10")
		if s <= 0 || len(cs) == 0 {
			t.Fatalf("the agency running the subsidiary's product scores %v, want > 0", s)
		}
		var types []string
		for _, st := range cs[0].Steps {
			types = append(types, st.Type)
		}
		if want := []string{"TARGETS", "OWNED_BY", "MAKES", "USES"}; cs[0].Signal.ID != "signal:test-v3-ban" || !slices.Equal(types, want) {
			t.Errorf("strongest regulatory chain: %s via %v, want the ban via %v", cs[0].Signal.ID, types, want)
		}
		// 0.9 × TARGETS 1.0 × OWNED_BY 1.0 (100%, above the threshold) × MAKES 0.8 × USES 0.8.
		if want := 0.9 * 0.8 * 0.8; math.Abs(s-want) > 1e-9 {
			t.Errorf("score %v, want %v", s, want)
		}
	})

	t.Run("a five-hop chain names the real mechanism", func(t *testing.T) {
		_, cs := exposure(t, "agency:test-v3-bound", "FOREIGN_INFLUENCE", "2020-04-10")
		if len(cs) == 0 || cs[0].Signal.ID != "signal:test-v3-state" || cs[0].Hops != 5 {
			t.Fatalf("foreign influence on the bound agency: %+v, want the state's signal over 5 hops", cs)
		}
		var types []string
		for _, st := range cs[0].Steps {
			types = append(types, st.Type)
		}
		if want := []string{"ENACTED", "APPLIES_TO", "OWNED_BY", "MAKES", "USES"}; !slices.Equal(types, want) {
			t.Errorf("chain %v, want %v", types, want)
		}
		r := f.do(t, `{ exposure(entityId: "agency:test-v3-bound", dimension: FOREIGN_INFLUENCE, maxHops: 6) { score } }`, nil)
		if len(r.Errors) > 0 {
			t.Errorf("maxHops 6 is the API's maximum and must be accepted: %+v", r.Errors)
		}
		if r := f.do(t, `{ exposure(entityId: "agency:test-v3-bound", dimension: FOREIGN_INFLUENCE, maxHops: 7) { score } }`, nil); r.code() != "INVALID_INPUT" && r.code() != "LIMIT_EXCEEDED" {
			t.Errorf("maxHops 7: %+v, want a refusal", r.Errors)
		}
	})
}
