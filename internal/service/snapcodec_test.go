package service

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/report"
)

// codecRows are rows of every shape a snapshot holds: with and without a top source, names
// shared and not, a name in another script, an empty one.
// encodeChunk packs rows into one compressed chunk.
func encodeChunk(rows []snapRow) ([]byte, error) {
	return encodeChunkOf(len(rows), func(i int) *snapRow { return &rows[i] })
}

func codecRows() []snapRow {
	return []snapRow{
		{E: "vendor:kaspersky-lab", N: "Kaspersky Lab", K: kg.KindVendor, D: kg.DimForeignInfluence, R: 1, S: 0.5678825647680001, I: 0.5, P: 0.1357651295360002,
			Top: &snapSource{Sig: "signal:fsb-compulsion", E: "government:russia", N: "Russian Federation", Str: 0.9, Hops: 2}},
		{E: "product:kav", N: "Антивирус Касперского", K: kg.KindProduct, D: kg.DimForeignInfluence, R: 2, S: 0.25, P: 0.25,
			Top: &snapSource{Sig: "signal:fsb-compulsion", E: "government:russia", N: "Russian Federation", Str: 0.25, Hops: 3}},
		{E: "organization:x", N: "", K: kg.KindOrganization, D: kg.DimSanctions, R: 1 << 20, S: 1e-300, I: 1e-300},
	}
}

// TestSnapshotChunkRoundTrip: a chunk decodes to the rows it was made of, in order.
func TestSnapshotChunkRoundTrip(t *testing.T) {
	for _, rows := range [][]snapRow{codecRows(), codecRows()[2:], {}} {
		got := roundTrip(t, rows)
		if len(rows) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, rows) {
			t.Errorf("decoded\n%+v\nwant\n%+v", got, rows)
		}
	}
}

// TestSnapshotChunkOfJSONLines: a chunk stored before the binary format (JSON lines) still
// reads.
func TestSnapshotChunkOfJSONLines(t *testing.T) {
	rows := codecRows()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := decodeChunk(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, rows)
	}
}

// TestSnapshotChunkDamaged: a chunk cut short, or with a byte changed, is an error (or, for
// a changed number or text, other rows), never a panic or rows invented past its end.
func TestSnapshotChunkDamaged(t *testing.T) {
	content := chunkBody(t, codecRows())
	for n := range len(content) {
		if _, err := decodeRowsV2(content[:n]); err == nil {
			t.Errorf("content cut to %d of %d bytes decoded without an error", n, len(content))
		}
	}
	for i := range content {
		bad := bytes.Clone(content)
		bad[i] ^= 0xff
		_, _ = decodeRowsV2(bad) // must not panic
	}
	if _, err := decodeRowsV2(append(bytes.Clone(content), 0)); err == nil {
		t.Error("content with a byte past its last row decoded without an error")
	}
}

// FuzzSnapshotChunk: no content panics the decoder, and what it decodes encodes back to
// rows that decode the same.
func FuzzSnapshotChunk(f *testing.F) {
	f.Add(chunkBody(f, codecRows()))
	f.Add(chunkBody(f, nil))
	f.Fuzz(func(t *testing.T, content []byte) {
		rows, err := decodeRowsV2(content)
		if err != nil {
			return
		}
		again := roundTrip(t, rows)
		if len(rows)+len(again) > 0 && !reflect.DeepEqual(again, rows) {
			t.Errorf("re-encoded rows decode to %+v, not %+v", again, rows)
		}
	})
}

// roundTrip encodes rows as a chunk and decodes it.
func roundTrip(t *testing.T, rows []snapRow) []snapRow {
	t.Helper()
	b, err := encodeChunk(rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeChunk(b)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// chunkBody is an encoded chunk's content after the magic, decompressed.
func chunkBody(tb testing.TB, rows []snapRow) []byte {
	tb.Helper()
	b, err := encodeChunk(rows)
	if err != nil {
		tb.Fatal(err)
	}
	data, binary, err := chunkData(b)
	if err != nil || !binary {
		tb.Fatalf("a chunk just encoded reads as binary %v, %v", binary, err)
	}
	return data
}

// TestScoresFromChunks: binary chunks decode in place to the scores the rows give, grouped
// by dimension even where a dimension spans chunks; chunks that cannot be decoded in place
// say so, and the caller reads them row by row.
func TestScoresFromChunks(t *testing.T) {
	rows := codecRows()
	more := codecRows()
	for i := range more {
		more[i].D, more[i].R = kg.DimRegulatory, i+1
	}
	rows = append(rows[:2], append(more, rows[2])...) // FOR FOR | REG REG | REG SAN
	chunks := func(per int, rs []snapRow) [][]byte {
		var out [][]byte
		for start := 0; start < len(rs); start += per {
			b, err := encodeChunk(rs[start:min(start+per, len(rs))])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		return out
	}
	for _, per := range []int{1, 2, 4, len(rows)} {
		got, ok, err := scoresFromChunks(t.Context(), chunks(per, rows), per, true)
		if err != nil || !ok {
			t.Fatalf("%d rows a chunk: ok %v, %v", per, ok, err)
		}
		want := scoresOf(rows)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d rows a chunk: decoded\n%+v\nwant\n%+v", per, got, want)
		}
		// Without their top sources, the same scores.
		lean, ok, err := scoresFromChunks(t.Context(), chunks(per, rows), per, false)
		if err != nil || !ok {
			t.Fatalf("%d rows a chunk, no top sources: ok %v, %v", per, ok, err)
		}
		for d, sc := range want {
			for i := range sc {
				sc[i].TopSource = nil
			}
			if !reflect.DeepEqual(lean[d], sc) {
				t.Errorf("%d rows a chunk, no top sources, %s: decoded\n%+v\nwant\n%+v", per, d, lean[d], sc)
			}
		}
	}
	// Not in place: a chunk short of per rows before the last, a dimension in two runs, JSON.
	var legacy bytes.Buffer
	zw := gzip.NewWriter(&legacy)
	if err := json.NewEncoder(zw).Encode(rows[0]); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	twoRuns := append(slices.Clone(rows), rows[0])
	for name, c := range map[string]struct {
		chunks [][]byte
		per    int
	}{
		"short chunk":     {append(chunks(1, rows[:1]), chunks(2, rows[1:])...), 2},
		"dimension twice": {chunks(2, twoRuns), 2},
		"JSON lines":      {[][]byte{legacy.Bytes()}, 2},
	} {
		if _, ok, err := scoresFromChunks(t.Context(), c.chunks, c.per, true); err != nil || ok {
			t.Errorf("%s: ok %v, %v; want not ok and no error", name, ok, err)
		}
	}
	bad := chunks(2, rows)
	bad[1] = bad[1][:len(bad[1])/2]
	if _, _, err := scoresFromChunks(t.Context(), bad, 2, true); err == nil {
		t.Error("a chunk cut short decoded without an error")
	}
}

// TestEncodeScoresRoundTrip: scores encoded straight from their grouped form, dimensions
// crossing chunk boundaries, decode to the same scores; a count that is not theirs fails.
func TestEncodeScoresRoundTrip(t *testing.T) {
	dims := []kg.Dimension{kg.DimForeignInfluence, kg.DimRegulatory, kg.DimSanctions}
	byDim := map[kg.Dimension][]report.Score{}
	n := 0
	for di, count := range []int{snapshotRowsPerChunk + 5000, 3, snapshotRowsPerChunk} {
		sc := make([]report.Score, count)
		for i := range sc {
			id := fmt.Sprintf("vendor:v%06d", i)
			sc[i] = report.Score{EntityID: id, Name: "V " + id, Kind: kg.KindVendor, Rank: i + 1,
				Score: 1 / float64(i+2), Intrinsic: 0.1 / float64(i+2), Propagated: 0.9 / float64(i+2)}
			if i%2 == di%2 {
				sc[i].TopSource = &report.SourceRef{SignalID: "signal:s" + id, EntityID: id, EntityName: "V", Strength: 0.5, Hops: i % 4}
			}
		}
		byDim[dims[di]] = sc
		n += count
	}
	chunks, err := encodeScores(dims, byDim, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 3 {
		t.Fatalf("%d scores in %d chunks, want 3", n, len(chunks))
	}
	got, ok, err := scoresFromChunks(t.Context(), chunks, snapshotRowsPerChunk, true)
	if err != nil || !ok {
		t.Fatalf("decode: ok %v, %v", ok, err)
	}
	if !reflect.DeepEqual(got, byDim) {
		t.Error("the scores decoded are not those encoded")
	}
	if _, err := encodeScores(dims, byDim, n+1); err == nil {
		t.Error("encoding with a wrong count of scores succeeded")
	}
}
