package risk

import "testing"

// FuzzParseModel: any model file is parsed into a valid model or refused as invalid input,
// never a panic.
func FuzzParseModel(f *testing.F) {
	f.Add(DefaultModelJSON())
	for _, s := range []string{`{}`, `{"version":"x","hopCap":7}`, `{"version":"x","rules":[{"type":"USES","flow":"SIDEWAYS"}]}`,
		`{"version":"x","rules":[{"type":"USES","flow":"ALONG","weights":{"SANCTIONS":1.5}}]}`, `{"version":"x"} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseModel(data)
		if err != nil {
			return
		}
		if m.HopCap() < 1 || m.HopCap() > MaxHopCap || m.TopK() < 1 || m.Version() == "" {
			t.Fatalf("accepted a model out of bounds: hop cap %d, top k %d", m.HopCap(), m.TopK())
		}
	})
}
