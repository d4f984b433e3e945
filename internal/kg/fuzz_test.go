package kg

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzBatchValidate feeds arbitrary JSON batches to the validation every write passes: it
// must never panic, and a batch it accepts must plan into histories without error on an
// empty store (every upsert then creates its fact).
func FuzzBatchValidate(f *testing.F) {
	for _, seed := range []string{
		`{"entities":[{"id":"vendor:a","kind":"Vendor","name":"A"}]}`,
		`{"entities":[{"id":"vendor:a","kind":"Retailer","name":"A"}]}`,
		`{"relationships":[{"type":"MAKES","from":"vendor:a","to":"product:b","confidence":0.5}]}`,
		`{"signals":[{"id":"signal:x","entity":"vendor:a","dimension":"SANCTIONS","severity":1.5}]}`,
		`{"retractions":[{"id":"vendor:kaspersky-lab","on":"0001-01-01"}]}`,
		`{"entities":[{"id":"vendor:a","kind":"Vendor","name":"` + strings.Repeat("w ", 2000) + `"}]}`,
		`{"entities":[{"id":"vendor:a","kind":"Vendor","name":"A","validity":{"from":"2020-01-02","to":"2020-01-01"}}]}`,
		`{"entities":[{"id":"vendor:a","kind":"Vendor","name":"A","version":{"recordedAt":"2020-01-01T00:00:00Z"}}]}`,
		`{"corrections":["vendor:nothing"]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Batch
		if json.Unmarshal(data, &b) != nil {
			return
		}
		if b.Validate() != nil || b.IsArchive() {
			return
		}
		w := Stamped{At: 1, By: "fuzz", Today: 20260101}
		for i, e := range b.Entities {
			if _, o, err := Upsert(nil, e, w, "e", e.ID); err != nil || o != Created {
				t.Fatalf("entities[%d] validated but does not create: %v %v", i, o, err)
			}
		}
	})
}

// FuzzDates: parsing dates and recorded times never panics, and what parses prints back
// to something that parses to the same value.
func FuzzDates(f *testing.F) {
	for _, s := range []string{"2017-09-13", "9999-12-31", "0001-01-01", "13/09/2017", "2018-01-05T12:00:00Z", "2018-01-05", "", "2017-02-30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDate(s); err == nil && d != 0 {
			if again, err := ParseDate(d.String()); err != nil || again != d {
				t.Fatalf("date %q → %s → %v, %v", s, d, again, err)
			}
		}
		if k, err := ParseStamp(s); err == nil && k > 0 {
			if again, err := ParseStamp(k.String()); err != nil || again != k {
				t.Fatalf("time %q → %s → %v, %v", s, k, again, err)
			}
		}
	})
}
