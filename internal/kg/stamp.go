package kg

import (
	"encoding/json"
	"fmt"
	"time"
)

// Stamp is a recorded time: when riskgraph learned a fact, in microseconds since the Unix
// epoch (UTC). Every write has its own Stamp. In a query, the zero Stamp means "everything
// recorded so far".
type Stamp int64

// MaxStamp is later than any write.
const MaxStamp Stamp = 1<<63 - 1

// StampOf returns the Stamp of t, to the microsecond.
func StampOf(t time.Time) Stamp { return Stamp(t.UnixMicro()) }

// Time is s as a UTC time.
func (s Stamp) Time() time.Time { return time.UnixMicro(int64(s)).UTC() }

// String writes s in RFC 3339 with microseconds, or "" when zero.
func (s Stamp) String() string {
	if s == 0 {
		return ""
	}
	return s.Time().Format("2006-01-02T15:04:05.000000Z07:00")
}

// ParseStamp reads a time written in RFC 3339 (2018-01-05T12:00:00Z) or a date alone
// (2018-01-05), which means the end of that day in UTC: "as known on 2018-01-05".
func ParseStamp(s string) (Stamp, error) {
	if s == "" {
		return 0, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return StampOf(t), nil
	}
	d, err := ParseDate(s)
	if err != nil {
		return 0, fmt.Errorf("time %q: want RFC 3339 (2018-01-05T12:00:00Z) or a date YYYY-MM-DD", s)
	}
	return StampOf(d.AddDays(1).Time()) - 1, nil
}

// MarshalJSON writes s as an RFC 3339 string, or null when zero.
func (s Stamp) MarshalJSON() ([]byte, error) {
	if s == 0 {
		return []byte("null"), nil
	}
	return json.Marshal(s.String())
}

// UnmarshalJSON reads an RFC 3339 string, or null.
func (s *Stamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = 0
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	v, err := ParseStamp(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}
