package screen

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadDetectsHeader(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Row // Line, Name, Country, ID, Aliases, Kind; Err only as nil or not
	}{
		{"no header: name, country, id", "Kaspersky Lab,RU,vendor:kaspersky-lab\nBest Buy,US\n",
			[]Row{{Line: 1, Name: "Kaspersky Lab", Country: "RU", ID: "vendor:kaspersky-lab"}, {Line: 2, Name: "Best Buy", Country: "US"}}},
		{"header in another order", "country,id,name\nRU,vendor:kaspersky-lab,Kaspersky Lab\n",
			[]Row{{Line: 2, Name: "Kaspersky Lab", Country: "RU", ID: "vendor:kaspersky-lab"}}},
		{"header spellings, extra columns ignored", "Spend (USD),SUPPLIER_NAME,Country Code,Notes\n100,Staples,US,office\n",
			[]Row{{Line: 2, Name: "Staples", Country: "US"}}},
		{"header in other languages", "Fournisseur;Pays\nKaspersky;Russie\n",
			[]Row{{Line: 2, Name: "Kaspersky", Country: "Russie"}}},
		{"accented header", "Proveedor,País\nAmazon,US\n", []Row{{Line: 2, Name: "Amazon", Country: "US"}}},
		{"vendor header alone", "Vendor\nStaples\n", []Row{{Line: 2, Name: "Staples"}}},
		{"company name column last", "id,country,Company Name\nretailer:amazon,US,Amazon\n",
			[]Row{{Line: 2, Name: "Amazon", Country: "US", ID: "retailer:amazon"}}},
		{"a first row naming one column other than name is data", "Acme Trading,Country\n",
			[]Row{{Line: 1, Name: "Acme Trading", Country: "Country"}}},
		{"aliases and kind", "name,aliases,kind\nNorton,NortonLifeLock| Gen Digital ;Symantec,vendor\n",
			[]Row{{Line: 2, Name: "Norton", Aliases: []string{"NortonLifeLock", "Gen Digital", "Symantec"}, Kind: "vendor"}}},
		{"byte order mark", "\xEF\xBB\xBFname,country\nKaspersky,RU\n", []Row{{Line: 2, Name: "Kaspersky", Country: "RU"}}},
		{"byte order mark, no header", "\xEF\xBB\xBFKaspersky,RU\n", []Row{{Line: 1, Name: "Kaspersky", Country: "RU"}}},
		{"quoting", "name,country\n\"Kaspersky Lab, AO\",RU\n\"Acme \"\"Widgets\"\" Ltd\",GB\n\"Two\nLines Inc\",US\nNext,FR\n",
			[]Row{{Line: 2, Name: "Kaspersky Lab, AO", Country: "RU"}, {Line: 3, Name: `Acme "Widgets" Ltd`, Country: "GB"},
				{Line: 4, Name: "Two\nLines Inc", Country: "US"}, {Line: 6, Name: "Next", Country: "FR"}}},
		{"stray quote kept", "name\nJoe's \"Best\" Shop\n", []Row{{Line: 2, Name: `Joe's "Best" Shop`}}},
		{"blank lines and spaces", "name,country\n\n  Staples , US \n\n", []Row{{Line: 3, Name: "Staples", Country: "US"}}},
		{"tabs", "name\tcountry\nStaples\tUS\n", []Row{{Line: 2, Name: "Staples", Country: "US"}}},
		{"CRLF", "name,country\r\nStaples,US\r\n", []Row{{Line: 2, Name: "Staples", Country: "US"}}},
		{"ragged rows", "name,country,id\nStaples\nAmazon,US,retailer:amazon,extra\n",
			[]Row{{Line: 2, Name: "Staples"}, {Line: 3, Name: "Amazon", Country: "US", ID: "retailer:amazon"}}},
		{"empty", "", nil},
		{"header only", "name,country\n", nil},
		{"rows that cannot be screened are kept", "name,country,id,kind\n,US,,\nAcme,,Vendor Acme,\nAcme,,,Supplier\n\xff\xfeAcme,,,\n,,retailer:amazon,\n",
			[]Row{{Line: 2, Country: "US", Err: errSome}, {Line: 3, Name: "Acme", ID: "Vendor Acme", Err: errSome},
				{Line: 4, Name: "Acme", Kind: "Supplier", Err: errSome}, {Line: 5, Name: "\xff\xfeAcme", Err: errSome},
				{Line: 6, ID: "retailer:amazon"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d rows %+v, want %d", len(got), got, len(tc.want))
			}
			for i, g := range got {
				w := tc.want[i]
				if g.Line != w.Line || g.Name != w.Name || g.Country != w.Country || g.ID != w.ID || g.Kind != w.Kind ||
					strings.Join(g.Aliases, "|") != strings.Join(w.Aliases, "|") || (g.Err == nil) != (w.Err == nil) {
					t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
				}
			}
		})
	}
}

var errSome = errors.New("some error")

func TestReadFailsOnUnreadableLists(t *testing.T) {
	tests := []struct {
		name    string
		in      io.Reader
		mention string
	}{
		{"UTF-16 LE", strings.NewReader("\xFF\xFEn\x00a\x00m\x00e\x00"), "UTF-16"},
		{"UTF-16 BE", strings.NewReader("\xFE\xFF\x00n\x00a"), "UTF-16"},
		{"header without a name column", strings.NewReader("country,id\nRU,vendor:kaspersky-lab\n"), "no name column"},
		{"I/O error", iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader("name\nKaspersky\n"))), "timeout"},
		{"I/O error later", io.MultiReader(strings.NewReader("name\n"+strings.Repeat("Kaspersky\n", 10000)),
			iotest.ErrReader(errors.New("disk on fire"))), "disk on fire"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := Read(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("got %d rows and error %v; want an error mentioning %q", len(rows), err, tc.mention)
			}
		})
	}
}
