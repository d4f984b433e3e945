package match

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Country returns the ISO 3166-1 alpha-2 code (upper case) of a country given as an
// alpha-2 or alpha-3 code, a UN M.49 number, or an English name ("Russia", "Russian
// Federation", "United States of America"); "" when it names no country it knows.
// Deprecated codes are replaced ("UK" → "GB").
func Country(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if len(s) <= 3 {
		if r, err := language.ParseRegion(s); err == nil {
			if r = r.Canonicalize(); r.IsCountry() {
				return r.String()
			}
		}
	}
	key := Normalize(s).Key()
	if c, ok := extraCountries[key]; ok {
		return c
	}
	return countryNames()[key]
}

// extraCountries are names people write that the English region names of x/text lack.
var extraCountries = map[string]string{
	"russian federation":          "RU",
	"usa":                         "US",
	"us":                          "US",
	"united states of america":    "US",
	"america":                     "US",
	"great britain":               "GB",
	"britain":                     "GB",
	"england":                     "GB",
	"federal republic of germany": "DE",
	"peoples republic of china":   "CN",
	"prc":                         "CN",
	"republic of korea":           "KR",
}

var (
	namesOnce sync.Once
	names     map[string]string
)

// countryNames maps the normalised English name of every country x/text knows to its code.
// It is built once, on first use, and only read after that.
func countryNames() map[string]string {
	namesOnce.Do(func() {
		names = map[string]string{}
		namer := display.English.Regions()
		for a := 'A'; a <= 'Z'; a++ {
			for b := 'A'; b <= 'Z'; b++ {
				r, err := language.ParseRegion(string([]rune{a, b}))
				if err != nil || !r.IsCountry() || r.Canonicalize() != r {
					continue
				}
				if n := namer.Name(r); n != "" {
					names[Normalize(n).Key()] = r.String()
				}
			}
		}
	})
	return names
}
