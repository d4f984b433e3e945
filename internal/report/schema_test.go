package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

const schemaPath = "../../docs/report.schema.json"

// reportSchema compiles docs/report.schema.json with format assertions on, so a date that is
// not YYYY-MM-DD or a time that is not RFC 3339 fails.
func reportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.FromSlash(schemaPath))
	if err != nil {
		t.Fatalf("open the schema: %v", err)
	}
	defer func() {
		if err := f.Close(); err != nil {
			t.Errorf("close the schema: %v", err)
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("read the schema: %v", err)
	}
	id, ok := doc.(map[string]any)["$id"].(string)
	if !ok || id != "https://riskgraph.example/schemas/report-v2.json" {
		t.Fatalf("schema $id = %v, want https://riskgraph.example/schemas/report-v2.json", doc.(map[string]any)["$id"])
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatalf("add the schema: %v", err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile the schema: %v", err)
	}
	return sch
}

// reportDoc renders r with WriteJSON and decodes it the way the validator expects.
func reportDoc(t *testing.T, r Report) any {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(&b)
	if err != nil {
		t.Fatalf("decode the JSON report: %v", err)
	}
	return doc
}

// schemaSample is sampleReport with the one nil slice it holds (the chain of the GONE
// change's cause, left out of the fixture) made empty, as the service's producers make it:
// the schema requires arrays, and a nil slice is written as null.
func schemaSample() Report {
	r := sampleReport()
	for i := range r.Dimensions {
		for j := range r.Dimensions[i].Changes {
			for k := range r.Dimensions[i].Changes[j].Causes {
				if c := &r.Dimensions[i].Changes[j].Causes[k]; c.Chain == nil {
					c.Chain = []ChainLink{}
				}
			}
		}
	}
	return r
}

// firstRunReport is the sample as a first run: no previous snapshot and so no changes.
func firstRunReport() Report {
	r := schemaSample()
	r.Previous = nil
	for i := range r.Dimensions {
		r.Dimensions[i].Changes = []Change{}
	}
	return r
}

func TestSchemaAcceptsReports(t *testing.T) {
	sch := reportSchema(t)
	for name, r := range map[string]Report{"sample": schemaSample(), "first run": firstRunReport()} {
		if err := sch.Validate(reportDoc(t, r)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSchemaAcceptsNullDatesAndSources(t *testing.T) {
	r := schemaSample()
	r.Snapshot.KnownAt = 0
	r.Dimensions[0].Scores[0].TopSource = nil
	r.Dimensions[0].Changes[0].Causes[0].Date = 0
	r.Dimensions[0].Changes[0].Causes[0].Sources[0].Published = 0
	r.Dimensions = append(r.Dimensions, DimensionReport{Dimension: "SANCTIONS", Scores: []Score{}, Changes: []Change{}})
	doc := reportDoc(t, r)
	if got := jsonAt(t, doc, "dimensions", 0, "scores", 0)["topSource"]; got != nil {
		t.Fatalf("topSource of a nil source = %v, want null", got)
	}
	if err := reportSchema(t).Validate(doc); err != nil {
		t.Errorf("null dates, a null top source and an empty dimension: %v", err)
	}
}

// jsonAt walks doc along path (object keys and array indexes) to an object.
func jsonAt(t *testing.T, doc any, path ...any) map[string]any {
	t.Helper()
	v := doc
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q", path, k)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("%v: no item %d", path, k)
			}
			v = a[k]
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v: not an object", path)
	}
	return m
}

// schemaLeaves lists the innermost errors of a validation error tree.
func schemaLeaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, schemaLeaves(c)...)
	}
	return out
}

func TestSchemaRejectsDrift(t *testing.T) {
	sch := reportSchema(t)
	cases := []struct {
		name string
		edit func(t *testing.T, doc any)
		// where is the instance location the failure must be reported at, and want a value
		// of the kind of error expected there.
		where string
		want  jsonschema.ErrorKind
	}{
		{"unknown top-level field", func(t *testing.T, doc any) { jsonAt(t, doc)["extra"] = true },
			"", &kind.AdditionalProperties{}},
		{"unknown score field", func(t *testing.T, doc any) {
			jsonAt(t, doc, "dimensions", 0, "scores", 0)["own"] = 0.1
		}, "/dimensions/0/scores/0", &kind.AdditionalProperties{}},
		{"unknown field in a cited source", func(t *testing.T, doc any) {
			jsonAt(t, doc, "dimensions", 0, "changes", 0, "causes", 0, "sources", 0)["url"] = "x"
		}, "/dimensions/0/changes/0/causes/0/sources/0", &kind.AdditionalProperties{}},
		{"unknown field in the previous snapshot", func(t *testing.T, doc any) {
			jsonAt(t, doc, "previous")["note"] = "x"
		}, "/previous", &kind.AdditionalProperties{}},
		{"wrong change kind", func(t *testing.T, doc any) {
			jsonAt(t, doc, "dimensions", 1, "changes", 0)["change"] = "SIDEWAYS"
		}, "/dimensions/1/changes/0/change", &kind.Enum{}},
		{"wrong cause kind", func(t *testing.T, doc any) {
			jsonAt(t, doc, "dimensions", 0, "changes", 0, "causes", 0)["kind"] = "GUESSED"
		}, "/dimensions/0/changes/0/causes/0/kind", &kind.Enum{}},
		{"wrong dimension", func(t *testing.T, doc any) { jsonAt(t, doc, "dimensions", 0)["dimension"] = "CYBER" },
			"/dimensions/0/dimension", &kind.Enum{}},
		{"wrong dimension of a change", func(t *testing.T, doc any) {
			jsonAt(t, doc, "dimensions", 0, "changes", 0)["dimension"] = "regulatory"
		}, "/dimensions/0/changes/0/dimension", &kind.Enum{}},
		{"wrong obligation status", func(t *testing.T, doc any) { jsonAt(t, doc, "obligations", 0)["status"] = "LATE" },
			"/obligations/0/status", &kind.Enum{}},
		{"wrong fact kind", func(t *testing.T, doc any) {
			jsonAt(t, doc, "dataQuality", "unsourced", 0)["kind"] = "SOURCE"
		}, "/dataQuality/unsourced/0/kind", &kind.Enum{}},
		{"missing top source", func(t *testing.T, doc any) {
			delete(jsonAt(t, doc, "dimensions", 0, "scores", 1), "topSource")
		}, "/dimensions/0/scores/1", &kind.Required{}},
		{"missing previous", func(t *testing.T, doc any) { delete(jsonAt(t, doc), "previous") },
			"", &kind.Required{}},
		{"missing stale list", func(t *testing.T, doc any) { delete(jsonAt(t, doc, "dataQuality"), "staleSources") },
			"/dataQuality", &kind.Required{}},
		{"missing cause summary", func(t *testing.T, doc any) {
			delete(jsonAt(t, doc, "dimensions", 1, "changes", 0, "causes", 0), "summary")
		}, "/dimensions/1/changes/0/causes/0", &kind.Required{}},
		{"null causes", func(t *testing.T, doc any) {
			jsonAt(t, doc, "dimensions", 0, "changes", 0)["causes"] = nil
		}, "/dimensions/0/changes/0/causes", &kind.Type{}},
		{"null chain", func(t *testing.T, doc any) {
			jsonAt(t, doc, "dimensions", 0, "changes", 0, "causes", 0)["chain"] = nil
		}, "/dimensions/0/changes/0/causes/0/chain", &kind.Type{}},
		{"null pending", func(t *testing.T, doc any) { jsonAt(t, doc, "obligations", 0)["pending"] = nil },
			"/obligations/0/pending", &kind.Type{}},
		{"date in another layout", func(t *testing.T, doc any) { jsonAt(t, doc, "snapshot")["asOf"] = "2017/12/31" },
			"/snapshot/asOf", &kind.Format{}},
		{"impossible date", func(t *testing.T, doc any) { jsonAt(t, doc, "obligations", 0)["due"] = "2017-02-30" },
			"/obligations/0/due", &kind.Format{}},
		{"knownAt not a time", func(t *testing.T, doc any) { jsonAt(t, doc, "snapshot")["knownAt"] = "yesterday" },
			"/snapshot/knownAt", &kind.Format{}},
		{"other schema version", func(t *testing.T, doc any) { jsonAt(t, doc)["schemaVersion"] = 1 },
			"/schemaVersion", &kind.Const{}},
		{"score above 1", func(t *testing.T, doc any) { jsonAt(t, doc, "dimensions", 0, "scores", 0)["score"] = 1.5 },
			"/dimensions/0/scores/0/score", &kind.Maximum{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := reportDoc(t, schemaSample())
			tc.edit(t, doc)
			err := sch.Validate(doc)
			if err == nil {
				t.Fatal("validation passed, want it to fail")
			}
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T (%v), want a *jsonschema.ValidationError", err, err)
			}
			for _, l := range schemaLeaves(ve) {
				loc := ""
				if len(l.InstanceLocation) > 0 {
					loc = "/" + strings.Join(l.InstanceLocation, "/")
				}
				if loc == tc.where && reflect.TypeOf(l.ErrorKind) == reflect.TypeOf(tc.want) {
					return
				}
			}
			t.Errorf("no %T error at %q:\n%v", tc.want, tc.where, err)
		})
	}
}

// TestSchemaObjectsAreClosed checks the schema keeps its own rule: every object it describes
// requires each of its properties and allows no others.
func TestSchemaObjectsAreClosed(t *testing.T) {
	raw, err := os.ReadFile(filepath.FromSlash(schemaPath))
	if err != nil {
		t.Fatalf("read the schema: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("decode the schema: %v", err)
	}
	objects := map[string]map[string]any{"(root)": doc}
	defs, ok := doc["$defs"].(map[string]any)
	if !ok {
		t.Fatal("schema has no $defs")
	}
	for name, d := range defs {
		if m, ok := d.(map[string]any); ok && m["type"] == "object" {
			objects[name] = m
		}
	}
	if len(objects) < 12 {
		t.Errorf("%d object schemas, want one per model struct (at least 12)", len(objects))
	}
	for name, o := range objects {
		if o["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties = %v, want false", name, o["additionalProperties"])
		}
		props, _ := o["properties"].(map[string]any)
		var req []string
		list, _ := o["required"].([]any)
		for _, r := range list {
			s, ok := r.(string)
			if !ok {
				t.Fatalf("%s: required item %v is not a string", name, r)
			}
			req = append(req, s)
		}
		keys := slices.Sorted(maps.Keys(props))
		slices.Sort(req)
		if len(keys) == 0 || !slices.Equal(keys, req) {
			t.Errorf("%s: required %v, properties %v", name, req, keys)
		}
	}
}
