package kg

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar date stored as the integer YYYYMMDD, so dates compare as integers.
// The zero Date means "unset" (an open end of a validity interval).
type Date int32

// NewDate returns the Date for a year, month and day. It does not normalise.
func NewDate(y int, m time.Month, d int) Date { return Date(y*10000 + int(m)*100 + d) }

// DateOf returns the calendar date of t in UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return NewDate(y, m, d)
}

// Today is the current date in UTC.
func Today() Date { return DateOf(time.Now()) }

// ParseDate reads a date written YYYY-MM-DD. The empty string gives the zero Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == 0 }

// Time is d at midnight UTC.
func (d Date) Time() time.Time {
	return time.Date(int(d)/10000, time.Month(int(d)/100%100), int(d)%100, 0, 0, 0, 0, time.UTC)
}

// AddDays returns the date n days after d.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// String writes d as YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", int(d)/10000, int(d)/100%100, int(d)%100)
}

// MarshalJSON writes d as "YYYY-MM-DD", or null when unset.
func (d Date) MarshalJSON() ([]byte, error) {
	if d == 0 {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date: %w", err)
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Validity is the interval in which a fact holds: From inclusive, To exclusive; a zero end is open.
type Validity struct {
	From Date `json:"from,omitempty"`
	To   Date `json:"to,omitempty"`
}

// ValidAt reports whether the fact holds on day d.
func (v Validity) ValidAt(d Date) bool {
	return (v.From == 0 || v.From <= d) && (v.To == 0 || d < v.To)
}

// Check reports an interval whose end comes before its start.
func (v Validity) Check() error {
	if v.From != 0 && v.To != 0 && v.To < v.From {
		return fmt.Errorf("validTo %s is before validFrom %s", v.To, v.From)
	}
	return nil
}
