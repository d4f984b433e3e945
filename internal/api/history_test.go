package api_test

import (
	"encoding/json"
	"riskgraph/internal/kg"
	"strings"
	"testing"
)

// The scenarios of "facts you can trust", through the API, on both backends.
func TestFactsYouCanTrust(t *testing.T) { onEachBackend(t, testFactsYouCanTrust) }

func testFactsYouCanTrust(t *testing.T, f *fixture) {
	must := func(t *testing.T, query string, vars map[string]any) json.RawMessage {
		t.Helper()
		r := f.do(t, query, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: errors %+v", query, r.Errors)
		}
		return r.Data
	}
	refused := func(t *testing.T, query, code, mentions string) {
		t.Helper()
		r := f.do(t, query, nil)
		if r.code() != code || !strings.Contains(r.Errors[0].Message, mentions) {
			t.Fatalf("%s: %+v, want %s mentioning %q", query, r.Errors, code, mentions)
		}
	}

	t.Run("an upsert keeps the past", func(t *testing.T) {
		must(t, `mutation { upsertEntities(input: [{id: "government:russian-federation", kind: Government, name: "Russia",
		  sources: [{sourceId: "source:reuters-ap-2017-09-13", excerpt: "renamed for a test"}]}]) { updated } }`, nil)
		var got struct {
			Then, Now struct {
				Name    string
				Aliases []string
			}
		}
		data := must(t, `{ then: entity(id: "government:russian-federation", asOf: "2017-09-13") { name aliases }
		  now: entity(id: "government:russian-federation") { name aliases } }`, nil)
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		if got.Then.Name != "Russian Federation" || len(got.Then.Aliases) == 0 || got.Now.Name != "Russia" || len(got.Now.Aliases) != 0 {
			t.Errorf("after a rename today: %+v", got)
		}
	})

	t.Run("retract keeps a fact's life", func(t *testing.T) {
		refused(t, `mutation { retract(ids: ["vendor:kaspersky-lab"], on: "0001-01-01") { retracted } }`, "INVALID_INPUT", "vendor:kaspersky-lab")
		refused(t, `mutation { retract(ids: ["vendor:no-such-vendor"], on: "2020-01-01") { retracted } }`, "INVALID_INPUT", "vendor:no-such-vendor")
		data := must(t, `{ paths(fromId: "retailer:best-buy", toId: "government:russian-federation", asOf: "2017-09-01") { length } }`, nil)
		if !strings.Contains(string(data), `"length"`) {
			t.Errorf("the README's paths example finds nothing: %s", data)
		}
	})

	t.Run("citations must point somewhere", func(t *testing.T) {
		refused(t, `mutation { upsertRelationships(input: [{type: USES, fromId: "organization:us-department-of-energy", toId: "product:kaspersky-anti-virus",
		  sources: [{sourceId: "source:does-not-exist", excerpt: "x"}]}]) { created } }`, "INVALID_INPUT", "source:does-not-exist")
	})

	t.Run("each mutation field reports its own outcome", func(t *testing.T) {
		r := f.do(t, `mutation {
		  a: upsertEntities(input: [{id: "vendor:acme-trust", kind: Vendor, name: "Acme"}]) { created }
		  b: upsertRelationships(input: [{type: MAKES, fromId: "vendor:acme-trust", toId: "product:nothing-here"}]) { created } }`, nil)
		var data struct {
			A *struct{ Created []string }
			B *struct{ Created []string }
		}
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatalf("%s: %v", r.Data, err)
		}
		if data.A == nil || len(data.A.Created) != 1 || data.B != nil || len(r.Errors) != 1 {
			t.Errorf("mutation with one good and one bad field: data %s, errors %+v; want a written, b null with its error", r.Data, r.Errors)
		}
	})

	t.Run("one atomic write", func(t *testing.T) {
		bad := `mutation { apply(input: {
		  entities: [{id: "vendor:acme-all", kind: Vendor, name: "Acme All"}],
		  relationships: [{type: HEADQUARTERED_IN, fromId: "vendor:acme-all", toId: "government:russian-federation"}],
		  signals: [{id: "signal:acme-all", entityId: "vendor:acme-all", dimension: SANCTIONS, severity: 0.4, reason: "listed for a test"}],
		  retractions: [{id: "vendor:nobody-here", on: "2020-01-01"}]}) { created } }`
		refused(t, bad, "INVALID_INPUT", "vendor:nobody-here")
		if r := f.do(t, `{ entity(id: "vendor:acme-all") { id } }`, nil); r.code() != "NOT_FOUND" {
			t.Fatalf("a refused apply wrote its rows: %s %+v", r.Data, r.Errors)
		}
		must(t, strings.Replace(bad, `{id: "vendor:nobody-here", on: "2020-01-01"}`,
			`{id: "retailer:amazon-SELLS->product:kaspersky-anti-virus", on: "2024-09-29"}`, 1), nil)
		var got struct {
			Relationship struct {
				ValidTo string
				Version struct {
					RecordedBy string
					RecordedAt string
				}
			}
		}
		data := must(t, `{ relationship(id: "retailer:amazon-SELLS->product:kaspersky-anti-virus", asOf: "2024-01-01") { validTo version { recordedBy recordedAt } } }`, nil)
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		if got.Relationship.ValidTo != "2024-09-29" || got.Relationship.Version.RecordedBy != "local" || got.Relationship.Version.RecordedAt == "" {
			t.Errorf("the retracted relationship: %s", data)
		}
	})

	t.Run("a correction, as known before and after", func(t *testing.T) {
		// An illustrative correction: a later report dates Office Depot's delisting to 2017-09-21.
		var wrote struct {
			Apply struct {
				Updated    []string
				RecordedAt string
			}
		}
		data := must(t, `mutation { apply(input: {relationships: [
		  {type: SELLS, fromId: "retailer:office-depot", toId: "product:kaspersky-anti-virus", validTo: "2017-09-21", correction: true,
		   note: "Corrected for a test: a later report gives the day.", sources: [{sourceId: "source:press-retailers-2017-09", excerpt: "Sold until 21 September."}]},
		  {type: DELISTED, fromId: "retailer:office-depot", toId: "product:kaspersky-anti-virus", validFrom: "2017-09-21", correction: true,
		   note: "Corrected for a test.", sources: [{sourceId: "source:press-retailers-2017-09", excerpt: "Stopped on 21 September."}]}]}) { updated recordedAt } }`, nil)
		if err := json.Unmarshal(data, &wrote); err != nil || len(wrote.Apply.Updated) != 2 || wrote.Apply.RecordedAt == "" {
			t.Fatalf("correction: %s %v", data, err)
		}
		var h struct {
			History struct {
				Versions []struct {
					Version struct {
						ValidTo    *string
						Correction bool
						RecordedBy string
						Superseded *string `json:"supersededAt"`
					}
				}
			}
		}
		data = must(t, `{ history(id: "retailer:office-depot-SELLS->product:kaspersky-anti-virus") { versions { version { validTo correction recordedBy supersededAt } } } }`, nil)
		if err := json.Unmarshal(data, &h); err != nil || len(h.History.Versions) != 2 {
			t.Fatalf("history: %s %v", data, err)
		}
		old, cur := h.History.Versions[0].Version, h.History.Versions[1].Version
		if old.Superseded == nil || old.ValidTo == nil || *old.ValidTo != "2017-09-30" || !cur.Correction || cur.RecordedBy != "local" {
			t.Errorf("history of the corrected relationship: %s", data)
		}
		// The answer before the correction is still given when asked as known then.
		k := *old.Superseded
		exposed := `query($k: DateTime) { exposure(entityId: "retailer:office-depot", dimension: FOREIGN_INFLUENCE, asOf: "2017-09-25", knownAt: $k) { score } }`
		var e struct{ Exposure struct{ Score float64 } }
		r := f.do(t, exposed, map[string]any{"k": shiftStamp(t, k, -1)})
		if err := json.Unmarshal(r.Data, &e); err != nil || len(r.Errors) > 0 || e.Exposure.Score == 0 {
			t.Errorf("Office Depot on 2017-09-25 as known before the correction: %s %+v; want exposed", r.Data, r.Errors)
		}
		r = f.do(t, exposed, map[string]any{"k": k})
		if err := json.Unmarshal(r.Data, &e); err != nil || len(r.Errors) > 0 || e.Exposure.Score != 0 {
			t.Errorf("Office Depot on 2017-09-25 as known after the correction: %s %+v; want not exposed", r.Data, r.Errors)
		}
	})

	t.Run("dates everywhere", func(t *testing.T) {
		data := must(t, `{ exposure(entityId: "retailer:best-buy", dimension: FOREIGN_INFLUENCE, asOf: "2017-09-01") {
		  topPaths(first: 1) { steps { validFrom validTo sources { sourceId published source { id } } } } } }`, nil)
		if !strings.Contains(string(data), `"validTo":"2017-09-08"`) || !strings.Contains(string(data), `"published":`) {
			t.Errorf("exposure steps carry no validity or publication dates: %s", data)
		}
		// A source published after the date of the answer is not there yet.
		var c struct {
			Entity struct {
				Sources []struct {
					SourceID  string
					Published *string
					Source    *struct{ ID string }
				}
			}
		}
		data = must(t, `{ entity(id: "directive:bod-17-01", asOf: "2017-09-13") { sources { sourceId published source { id } } } }`, nil)
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		for _, s := range c.Entity.Sources {
			later := s.Published != nil && *s.Published > "2017-09-13"
			if later != (s.Source == nil) {
				t.Errorf("citation of %s published %v: source %v; want it null exactly when published after the date", s.SourceID, s.Published, s.Source)
			}
		}
		data = must(t, `{ signal(id: "signal:bod-17-01-federal-ban", asOf: "2017-10-01") { id severity version { recordedBy } } }`, nil)
		if !strings.Contains(string(data), "signal:bod-17-01-federal-ban") {
			t.Errorf("signal by id: %s", data)
		}
		refused(t, `{ signal(id: "signal:bod-17-01-federal-ban", asOf: "2017-01-01") { id } }`, "NOT_FOUND", "signal:bod-17-01-federal-ban")
	})
}

// shiftStamp moves an RFC 3339 time by d microseconds.
func shiftStamp(t *testing.T, s string, d int64) string {
	t.Helper()
	k, err := kg.ParseStamp(s)
	if err != nil {
		t.Fatal(err)
	}
	return (k + kg.Stamp(d)).String()
}
