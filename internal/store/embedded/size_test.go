package embedded

import (
	"testing"
	"unsafe"
)

// TestRelRecordSize guards the size of a relationship record, which at 5M relationships is
// most of the store: every 8 bytes more is 40 MB more.
func TestRelRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(relRec{}); n > 88 {
		t.Errorf("a relationship record is %d bytes, want at most 88", n)
	}
}
