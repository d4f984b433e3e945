package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCursor: any string given as a cursor is refused as invalid input or decoded, never a
// panic; a cursor this package made decodes to its key.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", "not-a-cursor", EncodeCursor("vendor:v1"), EncodeCursor("0.5", "vendor:v1"), "W10", "WyJhIiwiYiJd", strings.Repeat("A", 10000)} {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, after string, parts int) {
		parts = 1 + (parts%2+2)%2
		p, err := CheckPage(Page{After: after}, parts)
		if err == nil && after != "" && len(p.Key) != parts {
			t.Fatalf("cursor %q decoded to %d parts, want %d", after, len(p.Key), parts)
		}
		if !utf8.ValidString(after) {
			return // keys are ids and numbers: text, which JSON keeps
		}
		key := make([]string, parts)
		for i := range key {
			key[i] = after
		}
		if p, err := CheckPage(Page{After: EncodeCursor(key...)}, parts); err != nil || len(p.Key) != parts || p.Key[0] != after {
			t.Fatalf("our own cursor of %q: %+v, %v", after, p, err)
		}
	})
}

// FuzzSearchText: splitting any text into search words never panics, and yields distinct,
// non-empty, lower-case words.
func FuzzSearchText(f *testing.F) {
	for _, s := range []string{"Kaspersky Lab", "  ", "AO «Лаборатория Касперского»", strings.Repeat("w ", 20000), "a\x00b", "İstanbul ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		seen := map[string]bool{}
		for _, w := range Words(text) {
			if w == "" || seen[w] || strings.ToLower(w) != w {
				t.Fatalf("Words(%q) gave %q", text, Words(text))
			}
			seen[w] = true
		}
	})
}
