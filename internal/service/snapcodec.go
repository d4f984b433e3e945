package service

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"

	"riskgraph/internal/kg"
)

// Stored snapshot chunks. A chunk is gzip-compressed. Since 2026-12-07 its content is
// snapMagic, then the chunk's distinct strings (a count, then each as its length and bytes),
// then the rows (a count, then per row: the string numbers of entity, name, kind and
// dimension, the rank, score, intrinsic and propagated parts as little-endian float64, and a
// byte that says whether a top source follows: the string numbers of its signal, entity and
// name, its strength and its hops). Counts, lengths, numbers, ranks and hops are uvarints.
// Content that does not start with snapMagic is the earlier format, one JSON object per
// line; both are read. Decoding JSON was most of reading a snapshot (at 1M entities about
// 10 CPU-seconds), and each of its strings was an allocation of its own.
const snapMagic = "RGSNAP2\n"

var errBadChunk = errors.New("not a snapshot chunk")

// chunkEncoder is the working memory of encodeChunkOf, kept between chunks (encoders):
// a snapshot of 1M entities is 57 chunks, and each one's string index, buffers and
// compressor new were 0.6 GB of garbage at the top of a report's memory.
type chunkEncoder struct {
	index      map[string]uint64
	table      []string
	head, body []byte
	out        bytes.Buffer
	zw         *gzip.Writer
}

var encoders = sync.Pool{New: func() any {
	zw, err := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	if err != nil {
		panic(err) // BestSpeed is a valid level
	}
	return &chunkEncoder{index: map[string]uint64{}, zw: zw}
}}

// encodeChunkOf packs n rows into one compressed chunk, row i as row(i) gives it: a row
// need only last until the next call.
func encodeChunkOf(n int, row func(i int) *snapRow) ([]byte, error) {
	x := encoders.Get().(*chunkEncoder)
	defer func() {
		clear(x.index)
		clear(x.table) // let the strings go
		x.table = x.table[:0]
		encoders.Put(x)
	}()
	ref := func(s string) uint64 {
		i, ok := x.index[s]
		if !ok {
			i = uint64(len(x.table))
			x.index[s] = i
			x.table = append(x.table, s)
		}
		return i
	}
	body := slices.Grow(x.body[:0], n*64)
	for i := range n {
		r := row(i)
		body = binary.AppendUvarint(body, ref(r.E))
		body = binary.AppendUvarint(body, ref(r.N))
		body = binary.AppendUvarint(body, ref(string(r.K)))
		body = binary.AppendUvarint(body, ref(string(r.D)))
		body = binary.AppendUvarint(body, uint64(r.R))
		for _, f := range [...]float64{r.S, r.I, r.P} {
			body = binary.LittleEndian.AppendUint64(body, math.Float64bits(f))
		}
		if t := r.Top; t == nil {
			body = append(body, 0)
		} else {
			body = append(body, 1)
			body = binary.AppendUvarint(body, ref(t.Sig))
			body = binary.AppendUvarint(body, ref(t.E))
			body = binary.AppendUvarint(body, ref(t.N))
			body = binary.LittleEndian.AppendUint64(body, math.Float64bits(t.Str))
			body = binary.AppendUvarint(body, uint64(t.Hops))
		}
	}
	x.body = body
	head := append(x.head[:0], snapMagic...)
	head = binary.AppendUvarint(head, uint64(len(x.table)))
	for _, s := range x.table {
		head = binary.AppendUvarint(head, uint64(len(s)))
		head = append(head, s...)
	}
	head = binary.AppendUvarint(head, uint64(n))
	x.head = head
	x.out.Reset()
	x.zw.Reset(&x.out)
	for _, b := range [][]byte{head, body} {
		if _, err := x.zw.Write(b); err != nil {
			return nil, fmt.Errorf("compress snapshot chunk: %w", err)
		}
	}
	if err := x.zw.Close(); err != nil {
		return nil, fmt.Errorf("compress snapshot chunk: %w", err)
	}
	return bytes.Clone(x.out.Bytes()), nil
}

// decodeChunk decodes one compressed chunk of snapshot rows, of either format.
func decodeChunk(b []byte) ([]snapRow, error) {
	data, binary, err := chunkData(b)
	if err != nil {
		return nil, err
	}
	if !binary {
		return decodeJSONChunk(bytes.NewReader(data))
	}
	return decodeRowsV2(data)
}

// chunkData decompresses a chunk: the content after snapMagic when binary says so, else the
// JSON lines.
func chunkData(b []byte) (data []byte, binary bool, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, false, err
	}
	if data, err = io.ReadAll(zr); err != nil {
		return nil, false, err
	}
	if rest, ok := bytes.CutPrefix(data, []byte(snapMagic)); ok {
		return rest, true, nil
	}
	return data, false, nil
}

// decodeRowsV2 decodes the content of a chunk after snapMagic into rows.
func decodeRowsV2(data []byte) ([]snapRow, error) {
	var rows []snapRow
	var tops []snapSource
	err := parseRowsV2(data, func(n int) error {
		rows = make([]snapRow, n)
		return nil
	}, func(i int, r *snapRow, top *snapSource) {
		rows[i] = *r
		if top != nil {
			if tops == nil {
				tops = make([]snapSource, 0, len(rows)-i)
			}
			tops = append(tops, *top)
			rows[i].Top = &tops[len(tops)-1]
		}
	})
	return rows, err
}

// parseRowsV2 reads the content of a chunk after snapMagic: it calls start with the number
// of rows, then row for each, in order, with the row's top source or nil. r and top are
// reused from row to row; their strings are cut from one string of the chunk's whole table
// (one allocation per chunk instead of one per string).
func parseRowsV2(data []byte, start func(n int) error, row func(i int, r *snapRow, top *snapSource)) error {
	d := chunkReader{b: data}
	n := d.count()
	lens := make([]int, 0, min(n, len(data)))
	from := d.at
	for range n {
		l := d.count()
		if d.err == nil && l > len(d.b)-d.at {
			d.err = errBadChunk
		}
		if d.err != nil {
			return fmt.Errorf("string table: %w", d.err)
		}
		lens = append(lens, l)
		d.at += l
	}
	// The table as one string, with each string's length prefix left in it: it is small.
	all := string(data[from:d.at])
	table := make([]string, n)
	p := 0
	for i, l := range lens {
		_, w := binary.Uvarint(data[from+p:])
		p += w
		table[i] = all[p : p+l]
		p += l
	}
	str := func() string {
		i := d.count()
		if d.err == nil && i >= len(table) {
			d.err = errBadChunk
		}
		if d.err != nil {
			return ""
		}
		return table[i]
	}
	nRows := d.count()
	if nRows > (len(data)-d.at)/minRowBytes {
		d.fail() // more rows than the bytes left can hold: never allocated
	}
	if d.err != nil {
		return fmt.Errorf("rows: %w", d.err)
	}
	if err := start(nRows); err != nil {
		return err
	}
	var r snapRow
	var top snapSource
	for i := range nRows {
		r.E, r.N, r.K, r.D = str(), str(), kg.Kind(str()), kg.Dimension(str())
		r.R = d.count()
		r.S, r.I, r.P = d.float(), d.float(), d.float()
		has := d.byte()
		if has == 1 {
			top = snapSource{Sig: str(), E: str(), N: str(), Str: d.float(), Hops: d.count()}
		} else if has != 0 {
			d.fail()
		}
		if d.err != nil {
			break
		}
		if has == 1 {
			row(i, &r, &top)
		} else {
			row(i, &r, nil)
		}
	}
	if d.err == nil && d.at != len(data) {
		d.err = errBadChunk
	}
	if d.err != nil {
		return fmt.Errorf("rows: %w", d.err)
	}
	return nil
}

// minRowBytes is the least a row takes: four string numbers, a rank, three floats and the
// top source's byte.
const minRowBytes = 4 + 1 + 3*8 + 1

// chunkReader reads a chunk's content; its first error sticks, and reads after it give 0.
type chunkReader struct {
	b   []byte
	at  int
	err error
}

func (d *chunkReader) fail() {
	if d.err == nil {
		d.err = errBadChunk
	}
}

// count reads a uvarint that must fit an int.
func (d *chunkReader) count() int {
	if d.err != nil {
		return 0
	}
	v, w := binary.Uvarint(d.b[d.at:])
	if w <= 0 || v > math.MaxInt32 {
		d.fail()
		return 0
	}
	d.at += w
	return int(v)
}

func (d *chunkReader) float() float64 {
	if d.err != nil || len(d.b)-d.at < 8 {
		d.fail()
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.at:]))
	d.at += 8
	return f
}

func (d *chunkReader) byte() byte {
	if d.err != nil || d.at >= len(d.b) {
		d.fail()
		return 0
	}
	d.at++
	return d.b[d.at-1]
}

// decodeJSONChunk decodes a chunk of the earlier format: one JSON object per row and line.
func decodeJSONChunk(r io.Reader) ([]snapRow, error) {
	dec := json.NewDecoder(r)
	var out []snapRow
	for {
		var row snapRow
		if err := dec.Decode(&row); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
}
