package screen

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// Row is one supplier of the list, as the file gives it.
type Row struct {
	Line    int      // the line of the file the record starts on (1 is the first line)
	Name    string   // required
	Country string   // a country code or English name; optional
	ID      string   // an entity id the list already knows, e.g. "vendor:kaspersky-lab"; optional
	Aliases []string // other names of the supplier; optional
	Kind    string   // an entity kind such as "Vendor", any case; optional
	// Err says why the row cannot be screened (no name, a malformed id, …); the row is still
	// reported, with this error.
	Err error
}

// Column names. A header cell names a column when, lower-cased, stripped of accents and of
// everything but letters and digits, it is one of these spellings.
var columnNames = map[string][]string{
	colName: {"name", "names", "supplier", "suppliername", "supplierlegalname", "vendor", "vendorname", "company",
		"companyname", "entity", "entityname", "organization", "organisation", "organizationname", "organisationname",
		"party", "partyname", "counterparty", "legalname", "businessname", "tradingname",
		"nom", "fournisseur", "raisonsociale", "nombre", "proveedor", "razonsocial", "lieferant", "firma", "firmenname"},
	colCountry: {"country", "countries", "countrycode", "countryname", "iso", "isocode", "nation", "jurisdiction",
		"hqcountry", "countryofincorporation", "land", "pays", "pais"},
	colID:      {"id", "entityid", "riskgraphid"},
	colAliases: {"aliases", "alias", "aka", "alsoknownas", "othernames", "tradenames"},
	colKind:    {"kind", "type", "entitytype", "entitykind"},
}

// The columns a list may have.
const (
	colName    = "name"
	colCountry = "country"
	colID      = "id"
	colAliases = "aliases"
	colKind    = "kind"
)

// columnOf says which column a header cell names, or "".
func columnOf(cell string) string {
	key := headerKey(cell)
	for col, names := range columnNames {
		for _, n := range names {
			if key == n {
				return col
			}
		}
	}
	return ""
}

// headerKey folds a header cell for comparison: "Supplier Name", "supplier_name" and
// "SUPPLIER-NAME" all give "suppliername", "País" gives "pais".
func headerKey(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// peekSize is how much of the list Read looks at to find the separator.
const peekSize = 64 << 10

// Read reads a supplier list: CSV in UTF-8, with or without a byte order mark, separated
// by commas (or by semicolons or tabs when the first line has no comma but one of those).
// When the first record looks like a header — one of its cells names the name column, or
// two of its cells name columns (see columnNames) — it says which column is which and
// other columns are ignored; otherwise the columns are name, country and id, in that order.
// Quoted fields may hold separators, quotes ("") and line breaks; a stray quote inside an
// unquoted field is kept as it is. Blank lines are skipped.
//
// A row that cannot be screened (no name, a malformed id or kind, bytes that are not UTF-8)
// is returned with Err set. Read fails only when the input cannot be read or decoded at
// all: an I/O error, a file in UTF-16, a header with no name column.
func Read(r io.Reader) ([]Row, error) {
	br := bufio.NewReaderSize(r, peekSize)
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read the list: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		br.Discard(3)
	case bytes.HasPrefix(head, []byte("\xFF\xFE")), bytes.HasPrefix(head, []byte("\xFE\xFF")):
		return nil, errors.New("the list is in UTF-16: save it as CSV in UTF-8")
	}
	comma, err := sniffComma(br)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false

	cols := map[string]int{colName: 0, colCountry: 1, colID: 2}
	var rows []Row
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read the list: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if h, ok := header(rec); ok {
				if _, ok := h[colName]; !ok {
					return nil, fmt.Errorf("line %d looks like a header but names no name column (call it name, supplier, vendor or company)", line)
				}
				cols = h
				continue
			}
		}
		rows = append(rows, parseRow(line, rec, cols, comma))
	}
	return rows, nil
}

// sniffComma picks the separator from the first line (as far as the first 64 KiB go): a
// comma, unless the line has none but has semicolons or tabs.
func sniffComma(br *bufio.Reader) (rune, error) {
	b, err := br.Peek(peekSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return 0, fmt.Errorf("read the list: %w", err)
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	semis, tabs := bytes.Count(b, []byte(";")), bytes.Count(b, []byte("\t"))
	switch {
	case bytes.IndexByte(b, ',') >= 0:
		return ',', nil
	case semis > 0 && semis >= tabs:
		return ';', nil
	case tabs > 0:
		return '\t', nil
	}
	return ',', nil
}

// header reports whether the first record is a header and, if so, which column is where.
func header(rec []string) (map[string]int, bool) {
	cols := map[string]int{}
	for i, cell := range rec {
		if c := columnOf(cell); c != "" {
			if _, dup := cols[c]; !dup {
				cols[c] = i
			}
		}
	}
	_, name := cols[colName]
	return cols, name || len(cols) >= 2
}

// parseRow reads one record with the column layout cols and checks what matching needs.
func parseRow(line int, rec []string, cols map[string]int, comma rune) Row {
	cell := func(col string) string {
		if i, ok := cols[col]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	row := Row{Line: line, Name: cell(colName), Country: cell(colCountry), ID: cell(colID), Kind: cell(colKind)}
	if a := cell(colAliases); a != "" {
		seps := "|;"
		if comma == ';' {
			seps = "|"
		}
		for _, s := range strings.FieldsFunc(a, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
			if s = strings.TrimSpace(s); s != "" {
				row.Aliases = append(row.Aliases, s)
			}
		}
	}
	row.Err = row.check()
	return row
}

// check says why a row cannot be matched, or nil. The service would refuse the whole batch
// for one bad candidate, so rows are checked here, one by one.
func (r *Row) check() error {
	for _, s := range append([]string{r.Name, r.Country, r.ID, r.Kind}, r.Aliases...) {
		if !utf8.ValidString(s) {
			return errors.New("the row is not valid UTF-8: save the list as CSV in UTF-8")
		}
		if len(s) > store.MaxTextLen {
			return fmt.Errorf("a cell is %d bytes long; the limit is %d", len(s), store.MaxTextLen)
		}
	}
	switch {
	case r.Name == "" && r.ID == "":
		return errors.New("the row has no name")
	case len(r.Aliases) >= store.MaxMatchNames:
		return fmt.Errorf("%d aliases; the limit is %d", len(r.Aliases), store.MaxMatchNames-1)
	}
	if r.ID != "" {
		if err := kg.CheckEntityID("id", r.ID); err != nil {
			return err
		}
	}
	if r.Kind != "" {
		if _, ok := parseKind(r.Kind); !ok {
			return fmt.Errorf("kind %q: want one of %s", r.Kind, kindList())
		}
	}
	return nil
}

// parseKind reads a kind in any case ("vendor", "VENDOR", "Vendor").
func parseKind(s string) (kg.Kind, bool) {
	for _, k := range kg.Kinds {
		if strings.EqualFold(s, string(k)) {
			return k, true
		}
	}
	return "", false
}

func kindList() string {
	names := make([]string, len(kg.Kinds))
	for i, k := range kg.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
