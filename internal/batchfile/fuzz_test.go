package batchfile

import (
	"bytes"
	"testing"
)

// FuzzRead: reading any file as a batch never panics; a batch that reads back is written and
// read again to the same value.
func FuzzRead(f *testing.F) {
	for _, s := range []string{`{}`, `{"entites": []}`, `{} {}`, `{"entities": [{"id": "vendor:a", "kind": "Vendor", "name": "A"}]}`,
		`{"relationships": [{"type": "MAKES", "from": "vendor:a", "to": "product:b", "confidence": 1, "validity": {}}]}`, `[`, "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ReadBytes(data, "fuzz")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, b); err != nil {
			t.Fatalf("write what was read: %v", err)
		}
		again, err := ReadBytes(out.Bytes(), "again")
		if err != nil {
			t.Fatalf("read what was written: %v\n%s", err, out.Bytes())
		}
		var x, y bytes.Buffer
		if Write(&x, b) != nil || Write(&y, again) != nil || !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Fatalf("round trip changed the batch")
		}
	})
}
