package api

import (
	"crypto/subtle"
	"reflect"
	"testing"

	"riskgraph/internal/service"
)

// Lookup compares with crypto/subtle and scans every entry, whichever one matches.
func TestKeyLookupIsConstantTime(t *testing.T) {
	var list []Key
	var keys []string
	for i, name := range []string{"a", "b", "c", "d"} {
		k, err := GenerateKey(fixedReader(byte(i)))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		kl, _, err := ParseKeyLine(KeyLine(name, service.RoleReader, HashKey(k)))
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, kl)
	}
	ks, err := NewKeys(list...)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.ValueOf(ks.compare).Pointer() != reflect.ValueOf(subtle.ConstantTimeCompare).Pointer() {
		t.Fatal("keys are not compared with subtle.ConstantTimeCompare")
	}
	calls := 0
	ks.compare = func(a, b []byte) int { calls++; return subtle.ConstantTimeCompare(a, b) }
	for i, presented := range append(keys, "rgk_unknown", "") {
		calls = 0
		k, ok := ks.Lookup(presented)
		if calls != len(list) {
			t.Errorf("lookup %d compared %d entries; want all %d", i, calls, len(list))
		}
		if want := i < len(keys); ok != want || (ok && k.Name != list[i].Name) {
			t.Errorf("lookup %d: %v %v", i, k.Name, ok)
		}
	}
}

type fixedReader byte

func (f fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f) + byte(i)
	}
	return len(p), nil
}

func TestByteCacheIsBoundedInBytes(t *testing.T) {
	c := newByteCache(1000, func(k string, v string) int64 { return int64(len(v)) })
	ctx := t.Context()
	c.Add(ctx, "big", string(make([]byte, 63))) // over max/16: never kept
	if _, ok := c.Get(ctx, "big"); ok {
		t.Error("an entry above the per-entry bound was kept")
	}
	for i := range 40 {
		c.Add(ctx, string(rune('a'+i)), string(make([]byte, 50)))
	}
	n, b := c.stats()
	if b > 1000 || n != 20 {
		t.Errorf("%d entries, %d bytes; want 20 entries within 1000 bytes", n, b)
	}
	if _, ok := c.Get(ctx, "a"); ok {
		t.Error("the least recently used entry was kept")
	}
	if _, ok := c.Get(ctx, string(rune('a'+39))); !ok {
		t.Error("the newest entry was evicted")
	}
	c.Remove(string(rune('a' + 39)))
	if n2, _ := c.stats(); n2 != n-1 {
		t.Errorf("remove: %d entries, want %d", n2, n-1)
	}
}
