package embedded

import (
	"testing"
	"unsafe"
)

// TestRelRecordSize guards the size of a relationship record, which at 5M relationships is
// most of the store: every 8 bytes more is 40 MB more.
func TestRelRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(relRec{}); n > 80 {
		t.Errorf("a relationship record is %d bytes, want at most 80", n)
	}
}
