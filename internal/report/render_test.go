package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestWriteJSONStreamsTheEncodersBytes checks that the row-by-row JSON writer gives exactly
// the bytes of encoding/json's indenting encoder, for a full report and for reports whose
// lists are empty or missing.
func TestWriteJSONStreamsTheEncodersBytes(t *testing.T) {
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
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: WriteJSON wrote\n%s\nwant\n%s", name, got.Bytes(), want.Bytes())
		}
	}
}
