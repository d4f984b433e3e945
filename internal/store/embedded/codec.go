package embedded

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"riskgraph/internal/kg"
)

// Stored values. A fact's value is its rows: a marker byte, then the row count and each row
// as its version (recorded and superseded times as varints, the writer as an index into the
// store's list of writer names, a flags byte, the version's own days when they are not the
// row's) followed by the row's fact as JSON without its version. A value of several rows is
// stored flate-compressed when that is smaller: the versions of one fact share most of their
// text. A value that starts with '{' is a fact of the format before versions.
const (
	markRows       = 'V' // rows, plain
	markCompressed = 'Z' // rows, flate-compressed after the marker
	flagCorrection = 1
	flagValid      = 2 // the version's own days follow
)

var errBadValue = errors.New("not a value of this store")

// Compressors and decompressors are large (a flate writer holds about a megabyte of tables),
// so they are kept for reuse rather than made per value.
var (
	flateWriters = sync.Pool{New: func() any { w, _ := flate.NewWriter(nil, flate.BestSpeed); return w }} // a valid level
	flateReaders = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
)

// writers is the store's list of writer names, held in its own bucket: rows name their
// writer by index, so a name is stored once however many rows it wrote.
type writers struct {
	names []string
	index map[string]uint64
	added []string // names added since the last commit, to store with it
}

func (w *writers) id(name string) uint64 {
	if i, ok := w.index[name]; ok {
		return i
	}
	i := uint64(len(w.names))
	w.names = append(w.names, name)
	w.index[name] = i
	w.added = append(w.added, name)
	return i
}

func (w *writers) name(i uint64) (string, error) {
	if i >= uint64(len(w.names)) {
		return "", fmt.Errorf("writer %d: %w", i, errBadValue)
	}
	return w.names[i], nil
}

// encodeRows encodes a fact's rows, naming writers through w.
func encodeRows[T kg.Fact](rows []T, w *writers) []byte {
	var buf []byte
	buf = append(buf, markRows)
	buf = binary.AppendUvarint(buf, uint64(len(rows)))
	for _, r := range rows {
		v := kg.VersionOf(r)
		buf = binary.AppendVarint(buf, int64(v.RecordedAt))
		buf = binary.AppendVarint(buf, int64(v.SupersededAt))
		buf = binary.AppendUvarint(buf, w.id(v.RecordedBy))
		var flags byte
		if v.Correction {
			flags |= flagCorrection
		}
		if v.Valid != (kg.Validity{}) {
			flags |= flagValid
		}
		buf = append(buf, flags)
		if flags&flagValid != 0 {
			buf = binary.AppendVarint(buf, int64(v.Valid.From))
			buf = binary.AppendVarint(buf, int64(v.Valid.To))
		}
		body := mustJSON(withVersion(r, nil))
		buf = binary.AppendUvarint(buf, uint64(len(body)))
		buf = append(buf, body...)
	}
	if len(rows) < 2 {
		return buf
	}
	var z bytes.Buffer
	z.WriteByte(markCompressed)
	fw := flateWriters.Get().(*flate.Writer)
	fw.Reset(&z)
	fw.Write(buf[1:])
	fw.Close()
	flateWriters.Put(fw)
	if z.Len() < len(buf) {
		return z.Bytes()
	}
	return buf
}

// decodeRows reads a stored value (see markRows), or one fact of the format before
// versions, which reads as a single row recorded at time 0.
func decodeRows[T kg.Fact](v []byte, w *writers) ([]T, error) {
	if len(v) == 0 {
		return nil, errBadValue
	}
	switch v[0] {
	case '{':
		var f T
		if err := json.Unmarshal(v, &f); err != nil {
			return nil, err
		}
		return []T{withVersion(f, &kg.Version{})}, nil
	case markCompressed:
		fr := flateReaders.Get().(io.ReadCloser)
		if err := fr.(flate.Resetter).Reset(bytes.NewReader(v[1:]), nil); err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		plain, err := io.ReadAll(fr)
		flateReaders.Put(fr)
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		v = append([]byte{markRows}, plain...)
	case markRows:
	default:
		return nil, errBadValue
	}
	r := bytes.NewReader(v[1:])
	n, err := binary.ReadUvarint(r)
	if err != nil || n > uint64(len(v)) {
		return nil, errBadValue
	}
	out := make([]T, 0, n)
	for range n {
		var ver kg.Version
		at, err1 := binary.ReadVarint(r)
		sup, err2 := binary.ReadVarint(r)
		wi, err3 := binary.ReadUvarint(r)
		flags, err4 := r.ReadByte()
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, errBadValue
		}
		ver.RecordedAt, ver.SupersededAt, ver.Correction = kg.Stamp(at), kg.Stamp(sup), flags&flagCorrection != 0
		if ver.RecordedBy, err = w.name(wi); err != nil {
			return nil, err
		}
		if flags&flagValid != 0 {
			from, err1 := binary.ReadVarint(r)
			to, err2 := binary.ReadVarint(r)
			if err1 != nil || err2 != nil {
				return nil, errBadValue
			}
			ver.Valid = kg.Validity{From: kg.Date(from), To: kg.Date(to)}
		}
		size, err := binary.ReadUvarint(r)
		if err != nil || size > uint64(r.Len()) {
			return nil, errBadValue
		}
		body := make([]byte, size)
		r.Read(body)
		var f T
		if err := json.Unmarshal(body, &f); err != nil {
			return nil, err
		}
		out = append(out, withVersion(f, &ver))
	}
	return out, nil
}
