// Package match owns name matching: how a name a person typed (a supplier on a procurement
// list, a search box entry) is normalised, which search keys a store indexes so it can
// retrieve likely entities cheaply, and how one candidate is scored against the entities a
// store retrieved, with the reasons for each score.
//
// The package is pure: it reads no store and keeps no mutable state. Callers retrieve
// targets (by Keys) and pass them in; the same inputs always give the same Match values, in
// the same order.
//
// # Pipeline
//
//  1. Normalize turns a name into tokens: Unicode NFKC, case folding, removal of diacritics
//     (golang.org/x/text), transliteration of other scripts to Latin
//     (github.com/gosimple/unidecode, then a few folding rules that bring the ICAO-style
//     output of Russian names close to the English-press spelling: Касперский → kaspersky),
//     punctuation rules (U.S. → us, AT&T → att, 52.204 → 52204, BestBuy → best buy) and
//     canonical legal forms (Incorporated → inc, ЗАО → cjsc, Labs → lab). Every token has a
//     class: core words weigh 1, generic business words ("systems", "group") 0.5, legal
//     forms 0.2, stop words 0.05, numbers 1 but must match exactly.
//  2. Score compares the candidate's names (name and aliases) with the target's. Two names
//     that normalise to the same tokens are an exact match (1.0). Otherwise the tokens are
//     aligned one to one, greedily by contribution: equal tokens, tokens within a small
//     Damerau-Levenshtein distance (github.com/hbollon/go-edlib, transpositions count as one
//     edit), one token against two or three joined tokens ("bestbuy" against "best buy"),
//     abbreviations ("Intl." against "international") and acronyms ("NDS" against "Norvex
//     Data Systems", weak evidence). The name score blends the weighted Dice coefficient
//     (aligned weight of both names, each pair scaled by its similarity, over their total
//     weight) with the overlap coefficient (the larger aligned fraction of either name), so
//     that a short name the long one wholly contains scores a little higher. Numbers that
//     differ on both sides halve the score ("374-FZ" is not "375-FZ").
//     Country and kind, when both sides give them, nudge the score up when they agree and
//     down when they contradict. An id the candidate gives that equals the target's id
//     scores 1.
//  3. Classify reads the sorted matches: MATCH, AMBIGUOUS or NONE, by MatchThreshold and
//     AmbiguityMargin.
//
// Keys says which search keys a store indexes and looks up so that retrieval finds what
// Score would rank high; Matcher.IDF lets a store's document frequencies weigh rare words
// above common ones. The zero Matcher (class weights only) is the default: on the labelled
// set in testdata it has the better recall.
//
// Every Match carries Reasons whose Weights add up to its Score, so a caller can show why.
package match
