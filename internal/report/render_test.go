package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestWriteJSONStreamsTheEncodersValue checks that the row-by-row JSON writer gives the
// value encoding/json gives, for a full report and for reports whose lists are empty or
// missing, indented as encoding/json indents, with each score and change on one line.
func TestWriteJSONStreamsTheEncodersValue(t *testing.T) {
	full := sampleReport()
	empty := sampleReport()
	empty.Dimensions[0].Scores, empty.Dimensions[0].Changes = []Score{}, nil
	noDims := sampleReport()
	noDims.Dimensions = nil
	someDims := sampleReport()
	someDims.Dimensions = []DimensionReport{}
	for name, r := range map[string]Report{"full": full, "empty lists": empty, "no dimensions": noDims, "empty dimensions": someDims} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := WriteJSON(&got, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var gotV, wantV any
		if err := json.Unmarshal(got.Bytes(), &gotV); err != nil {
			t.Fatalf("%s: WriteJSON wrote no JSON: %v\n%s", name, err, got.Bytes())
		}
		if err := json.Unmarshal(want.Bytes(), &wantV); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("%s: WriteJSON wrote\n%s\nwant the value of\n%s", name, got.Bytes(), want.Bytes())
		}
		// Re-indenting what it wrote gives the indenting encoder's bytes: only the rows'
		// layout differs.
		var again bytes.Buffer
		if err := json.Indent(&again, got.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), want.Bytes()) {
			t.Errorf("%s: re-indented, WriteJSON's output is\n%s\nwant\n%s", name, again.Bytes(), want.Bytes())
		}
		rows := 0
		for _, d := range r.Dimensions {
			rows += len(d.Scores) + len(d.Changes)
		}
		for _, line := range bytes.Split(got.Bytes(), []byte("\n")) {
			if l := bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte(","))); bytes.HasPrefix(l, []byte(`{"entityId":`)) {
				if !json.Valid(l) {
					t.Errorf("%s: a row spans lines: %s", name, line)
				}
				rows--
			}
		}
		if rows != 0 {
			t.Errorf("%s: %d scores and changes are not on a line of their own", name, rows)
		}
	}
}
