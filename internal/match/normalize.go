package match

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gosimple/unidecode"
	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// TokenClass says what part a token plays in a name, and so how much it weighs.
type TokenClass uint8

// The token classes. Their weights are in TokenClass.Weight.
const (
	ClassCore    TokenClass = iota // a distinctive word: "kaspersky", "depot"
	ClassGeneric                   // a common business word: "systems", "group", "international"
	ClassLegal                     // a legal form or similar suffix: "inc", "ltd", "jsc", "lab"
	ClassStop                      // a function word: "the", "of", "and"
	ClassNumber                    // a token with a digit: "40", "2018"; matches only exactly
)

// Weight is the class's share in a name's total weight. A legal form still counts (two
// names that differ only by one agree less than two identical names) but little.
func (c TokenClass) Weight() float64 {
	switch c {
	case ClassCore, ClassNumber:
		return 1
	case ClassGeneric:
		return 0.5
	case ClassLegal:
		return 0.2
	default:
		return 0.05
	}
}

// String names the class for reasons and tests.
func (c TokenClass) String() string {
	switch c {
	case ClassCore:
		return "core"
	case ClassGeneric:
		return "generic"
	case ClassLegal:
		return "legal"
	case ClassStop:
		return "stop"
	case ClassNumber:
		return "number"
	}
	return "unknown"
}

// Token is one word of a normalised name.
type Token struct {
	Text     string // the normalised word: lower-case ASCII letters and digits, canonical form
	Word     string // the ASCII word before spelling folds and canonical forms ("systems" for Text "system")
	Raw      string // the word as written, case-folded, for reasons
	Class    TokenClass
	Translit bool // the word was written in a non-Latin script and transliterated
	Folded   bool // a spelling variant was folded: "kasperski", "kasperskii" → "kaspersky"
	Expanded bool // a known abbreviation or variant was replaced: "intl" → "international"
	Abbrev   bool // written with a trailing dot and not a known word: may abbreviate a longer one
}

// Name is a normalised name: its tokens in written order.
type Name struct {
	Input  string  // the name as given
	Tokens []Token // empty when the name has no letters or digits
}

// Key is the normalised name as one string: the token texts joined by single spaces. Two
// names with the same Key are an exact match.
func (n Name) Key() string {
	var b strings.Builder
	for i, t := range n.Tokens {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.Text)
	}
	return b.String()
}

// maxTokens bounds the tokens kept from one name; the alignment works on 64-bit masks.
const maxTokens = 64

// Normalize turns a name into tokens. It applies, in order: Unicode NFKC; a split of
// camel-case words ("BestBuy" → "Best Buy"); case folding; word splitting on punctuation
// and spaces, where apostrophes join ("McDonald's" → "mcdonalds"), "&" between letters
// joins ("AT&T" → "att") and otherwise reads "and", a dot or comma between digits joins
// ("52.204" → "52204"), and letters and digits part ("FY2018" → "fy 2018"); transliteration
// of words in other scripts to Latin and removal of diacritics; a merge of runs of single
// letters ("U.S." → "us", "L.L.C." → "llc"); spelling folds of Russian names ("kasperskogo",
// "kasperskii", "kasperski" → "kaspersky"); leading zeros of numbers dropped; single
// letters read as initials; and canonical forms of legal forms, plurals of generic words
// and common abbreviations. At most 64 tokens are kept.
func Normalize(name string) Name {
	n := Name{Input: name}
	for _, w := range splitWords(name) {
		n.Tokens = appendWord(n.Tokens, w)
	}
	n.Tokens = mergeInitials(n.Tokens)
	for i := range n.Tokens {
		classify(&n.Tokens[i])
	}
	if len(n.Tokens) > maxTokens {
		n.Tokens = n.Tokens[:maxTokens]
	}
	return n
}

// rawWord is a word cut from the folded input, before transliteration.
type rawWord struct {
	text   string
	dotted bool // followed directly by a dot that ends the word
}

// splitWords applies NFKC, the camel-case split and case folding, then cuts words.
func splitWords(s string) []rawWord {
	ascii := isASCII(s)
	if !ascii {
		s = norm.NFKC.String(s)
	}
	s = splitCamel(s)
	if ascii {
		s = strings.ToLower(s)
	} else {
		s = cases.Fold().String(s)
	}
	rs := []rune(s)
	var words []rawWord
	var cur []rune
	flush := func(dotted bool) {
		if len(cur) > 0 {
			words = append(words, rawWord{text: string(cur), dotted: dotted})
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		var prev, next rune
		if i > 0 {
			prev = rs[i-1]
		}
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			cur = append(cur, r)
		case isApostrophe(r):
			// joins: "mcdonald's", "int'l"
		case r == '&':
			if unicode.IsLetter(prev) && unicode.IsLetter(next) {
				continue // "at&t"
			}
			flush(false)
			words = append(words, rawWord{text: "and"})
		case (r == '.' || r == ',') && unicode.IsDigit(prev) && unicode.IsDigit(next):
			// "52.204", "1,000"
		case r == '.':
			flush(next == 0 || !(unicode.IsLetter(next) || unicode.IsDigit(next)))
		default:
			flush(false)
		}
	}
	flush(false)
	return words
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', 'ʼ', '`', '´', 'ʹ':
		return true
	}
	return false
}

// splitCamel puts a space where a lower-case letter meets an upper-case one ("BestBuy"),
// and before the last capital of a run followed by a lower-case letter ("IBMSystems"). It
// leaves alone a capital that ends a word ("GmbH") and words that are legal forms ("KGaA").
func splitCamel(s string) string {
	rs := []rune(s)
	out := make([]rune, 0, len(rs)+4)
	start := 0 // start of the current word
	for i, r := range rs {
		if !unicode.IsLetter(r) {
			start = i + 1
		}
		if i > start && unicode.IsUpper(r) && i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
			p := rs[i-1]
			if unicode.IsLower(p) || (unicode.IsUpper(p) && unicode.IsLower(rs[i+1])) {
				end := i
				for end < len(rs) && unicode.IsLetter(rs[end]) {
					end++
				}
				if _, legal := legalForms[strings.ToLower(string(rs[start:end]))]; !legal {
					out = append(out, ' ')
				}
			}
		}
		out = append(out, r)
	}
	return string(out)
}

// appendWord transliterates one raw word and appends the tokens it gives: one usually,
// more when letters and digits alternate or a transliteration has spaces.
func appendWord(toks []Token, w rawWord) []Token {
	text := w.text
	translit := false
	if !isASCII(text) {
		translit = hasNonLatinLetter(text)
		if !translit {
			text = stripMarks(umlauts.Replace(text))
		}
		// Cyrillic first, so that й is read as a letter of its own and not as и with a breve;
		// the Latin letters NFD leaves alone (ø, ł, đ) too.
		text = strings.ToLower(unidecode.Unidecode(text))
	}
	parts := splitASCII(text)
	for i, p := range parts {
		toks = append(toks, Token{
			Text:     p,
			Word:     p,
			Raw:      w.text,
			Translit: translit,
			Abbrev:   w.dotted && i == len(parts)-1 && !hasDigit(p),
		})
	}
	return toks
}

// umlauts spells German umlauts the German way before other diacritics are dropped, so that
// "für" meets "fuer" (and "Müller" is one edit from "Muller").
var umlauts = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue")

func hasNonLatinLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return true
		}
	}
	return false
}

// stripMarks removes diacritics: NFD, drop nonspacing marks, NFC.
func stripMarks(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return out
}

var signs = strings.NewReplacer("'", "", "\"", "")

// splitASCII cuts a transliterated word into runs of letters and runs of digits. Soft and
// hard signs (written ' and ") vanish inside the word; anything else separates.
func splitASCII(s string) []string {
	if strings.ContainsAny(s, "'\"") {
		s = signs.Replace(s)
	}
	var parts []string
	start, kind := -1, 0 // kind: 0 none, 1 letter, 2 digit
	for i := 0; i <= len(s); i++ {
		k := 0
		if i < len(s) {
			switch c := s[i]; {
			case c >= 'a' && c <= 'z':
				k = 1
			case c >= '0' && c <= '9':
				k = 2
			}
		}
		if k != kind {
			if start >= 0 {
				parts = append(parts, s[start:i])
			}
			start = -1
			if k != 0 {
				start = i
			}
			kind = k
		}
	}
	return parts
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}

// mergeInitials joins runs of two or more single-letter tokens: "u s" → "us".
func mergeInitials(toks []Token) []Token {
	out := toks[:0]
	for i := 0; i < len(toks); {
		j := i
		for j < len(toks) && len(toks[j].Text) == 1 && !hasDigit(toks[j].Text) {
			j++
		}
		if j-i >= 2 {
			t := toks[i]
			var text, raw strings.Builder
			for k := i; k < j; k++ {
				text.WriteString(toks[k].Text)
				raw.WriteString(toks[k].Raw)
				t.Translit = t.Translit || toks[k].Translit
			}
			t.Text, t.Raw, t.Abbrev = text.String(), raw.String(), false
			t.Word = t.Text
			out = append(out, t)
			i = j
			continue
		}
		if j == i {
			j++
		}
		out = append(out, toks[i:j]...)
		i = j
	}
	return out
}

// classify folds spelling variants and sets the token's canonical text and class.
func classify(t *Token) {
	if hasDigit(t.Text) {
		// Leading zeros say nothing: "Vendor 0017" is "Vendor 17".
		if trimmed := strings.TrimLeft(t.Text, "0"); trimmed != "" && trimmed != t.Text {
			t.Text = trimmed
		}
		t.Class = ClassNumber
		t.Abbrev = false
		return
	}
	if f := foldSpelling(t.Text, t.Translit); f != t.Text {
		t.Text, t.Folded = f, true
	}
	if c, ok := legalForms[t.Text]; ok {
		if c != t.Text {
			t.Expanded = true
		}
		t.Text, t.Class, t.Abbrev = c, ClassLegal, false
		return
	}
	if len(t.Text) == 1 {
		// A single letter is an initial ("E. Kaspersky", "Elaine C. Duke"): it weighs like a
		// stop word and may stand for any word it begins.
		t.Class, t.Abbrev = ClassStop, true
		return
	}
	if stopWords[t.Text] {
		t.Class, t.Abbrev = ClassStop, false
		return
	}
	if e, ok := variants[t.Text]; ok {
		t.Text, t.Expanded, t.Abbrev = e, true, false
	} else if e, ok := plurals[t.Text]; ok {
		t.Text = e
	}
	if generic[t.Text] {
		t.Class, t.Abbrev = ClassGeneric, false
		return
	}
	t.Class = ClassCore
}

// skyEndings are endings of Russian surnames and adjectives in -ский as transliterations
// write them ("kasperskii", "kasperskiy", "kasperskij", "kasperski") or as Russian declines
// them ("kasperskogo", the genitive of "Лаборатория Касперского").
var skyEndings = []string{"skogo", "skomu", "skii", "skiy", "skij", "skyi", "skyy", "ski"}

// foldSpelling brings transliteration variants together. For every token it folds the
// endings of -ский names to "sky" (Latin spellings vary the same way); for a token
// transliterated from another script it also folds what ICAO-style tables write for
// й, я, ю at the start and end of a word to the spelling of the English-language press
// (evgenii → evgeny, iarovaia → yarovaya, federatsiia → federatsiya).
func foldSpelling(s string, translit bool) string {
	if len(s) >= 6 {
		for _, e := range skyEndings {
			if strings.HasSuffix(s, e) && (translit || e != "skogo" && e != "skomu") {
				return s[:len(s)-len(e)] + "sky"
			}
		}
	}
	if !translit || len(s) < 4 {
		return s
	}
	switch {
	case strings.HasPrefix(s, "ia"):
		s = "ya" + s[2:]
	case strings.HasPrefix(s, "iu"):
		s = "yu" + s[2:]
	}
	switch {
	case strings.HasSuffix(s, "iia"):
		s = s[:len(s)-3] + "iya"
	case strings.HasSuffix(s, "aia"):
		s = s[:len(s)-3] + "aya"
	case strings.HasSuffix(s, "ii"), strings.HasSuffix(s, "yi"), strings.HasSuffix(s, "ij"):
		s = s[:len(s)-2] + "y"
	case strings.HasSuffix(s, "oi"):
		s = s[:len(s)-2] + "oy"
	}
	return s
}

// legalForms maps legal forms, and words that act like them, to a canonical form. Forms of
// one meaning share it: АО and JSC, ЗАО and CJSC, ООО and LLC.
var legalForms = map[string]string{
	"inc": "inc", "incorporated": "inc",
	"corp": "corp", "corporation": "corp",
	"co": "co", "company": "co", "cie": "co",
	"ltd": "ltd", "limited": "ltd",
	"llc": "llc", "ooo": "llc",
	"llp": "llp", "lp": "lp", "plc": "plc",
	"gmbh": "gmbh", "mbh": "gmbh", "ag": "ag", "kg": "kg", "kgaa": "kgaa", "ev": "ev",
	"sa": "sa", "sas": "sas", "sarl": "sarl", "srl": "srl", "spa": "spa", "sl": "sl",
	"bv": "bv", "nv": "nv", "ab": "ab", "oy": "oy", "oyj": "oyj", "asa": "asa", "aps": "aps",
	"pte": "pte", "pty": "pty", "pvt": "pvt", "bhd": "bhd", "sdn": "sdn", "kk": "kk",
	"sro": "sro", "se": "se", "as": "as", "cv": "cv",
	"jsc": "jsc", "ao": "jsc",
	"ojsc": "ojsc", "oao": "ojsc",
	"cjsc": "cjsc", "zao": "cjsc",
	"pjsc": "pjsc", "pao": "pjsc",
	"lab": "lab", "labs": "lab", "laboratory": "lab", "laboratories": "lab",
	"laboratoriya": "lab", "laboratoriia": "lab", "labo": "lab",
	"com": "com", "net": "com", "org": "com",
}

// stopWords carry almost no weight: English, a few Romance and German ones, and Russian
// prepositions as transliterated (и, в, на, по, об).
var stopWords = map[string]bool{
	"the": true, "of": true, "and": true, "for": true, "on": true, "in": true, "at": true,
	"by": true, "to": true, "de": true, "del": true, "la": true, "le": true, "les": true,
	"du": true, "des": true, "der": true, "die": true, "das": true, "und": true, "et": true,
	"y": true, "v": true, "na": true, "po": true, "ob": true, "no": true, "nr": true,
}

// generic are business words common enough to say little about which company is meant.
var generic = map[string]bool{
	"group": true, "holding": true, "international": true, "global": true, "worldwide": true,
	"service": true, "system": true, "solution": true, "technology": true, "industry": true,
	"enterprise": true, "partner": true, "associates": true, "trading": true,
	"consulting": true, "product": true, "network": true, "management": true,
}

// plurals are plural forms of generic words, with their singular.
var plurals = map[string]string{
	"holdings": "holding", "services": "service", "systems": "system", "solutions": "solution",
	"technologies": "technology", "industries": "industry", "enterprises": "enterprise",
	"partners": "partner", "products": "product", "networks": "network",
}

// variants are abbreviations and spelling variants, with the word they stand for.
var variants = map[string]string{
	"hldgs": "holding", "hldg": "holding", "svcs": "service", "svc": "service", "sys": "system",
	"tech": "technology", "techs": "technology", "inds": "industry", "grp": "group",
	"intl": "international", "int": "international", "natl": "national", "dept": "department",
	"govt": "government", "mfg": "manufacturing", "assn": "association", "assoc": "associates",
	"bros": "brothers", "mgmt": "management", "univ": "university", "inst": "institute",
	"ctr": "center", "centre": "center", "organisation": "organization", "defence": "defense",
}
