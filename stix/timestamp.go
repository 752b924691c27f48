package stix

import (
	"fmt"
	"strings"
	"time"
)

// Timestamp is a STIX timestamp: the text the producer wrote and the instant
// it denotes. STIX timestamps are RFC 3339 in UTC with a literal "Z" and any
// number of fractional digits.
type Timestamp struct {
	Time time.Time
	Text string
}

// keyLayout is fixed-width, so keys sort as the instants they denote.
const keyLayout = "2006-01-02T15:04:05.000000000Z"

// ParseTimestamp parses a STIX timestamp. It refuses offsets other than "Z",
// lower-case "t"/"z" and out-of-range fields.
func ParseTimestamp(s string) (Timestamp, error) {
	// Shape: YYYY-MM-DDTHH:MM:SS[.frac]Z
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return Timestamp{}, fmt.Errorf("must be an RFC 3339 timestamp in UTC such as 2016-05-12T08:17:27.000Z, not %q", s)
	}
	for i, c := range s[:19] {
		if i == 4 || i == 7 || i == 10 || i == 13 || i == 16 {
			continue
		}
		if c < '0' || c > '9' {
			return Timestamp{}, fmt.Errorf("must be an RFC 3339 timestamp in UTC such as 2016-05-12T08:17:27.000Z, not %q", s)
		}
	}
	frac := s[19 : len(s)-1]
	if frac != "" {
		if frac[0] != '.' || len(frac) < 2 {
			return Timestamp{}, fmt.Errorf("must be an RFC 3339 timestamp in UTC such as 2016-05-12T08:17:27.000Z, not %q", s)
		}
		for _, c := range frac[1:] {
			if c < '0' || c > '9' {
				return Timestamp{}, fmt.Errorf("must be an RFC 3339 timestamp in UTC such as 2016-05-12T08:17:27.000Z, not %q", s)
			}
		}
	}
	// time.Parse accepts leap seconds poorly and limits fractions to 9 digits;
	// STIX allows more digits, which carry no meaning beyond nanoseconds.
	text := s
	if len(frac) > 10 {
		text = s[:19] + frac[:10] + "Z"
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return Timestamp{}, fmt.Errorf("is not a valid date and time: %q", s)
	}
	return Timestamp{Time: t.UTC(), Text: s}, nil
}

// MillisecondPrecise reports whether the text has at least three fractional
// digits, as STIX requires of created and modified.
func (t Timestamp) MillisecondPrecise() bool {
	i := strings.LastIndexByte(t.Text, '.')
	return i > 0 && len(t.Text)-i-2 >= 3
}

// Key is a fixed-width text form with nanosecond precision; keys of two
// timestamps compare as the instants do, and two texts that denote the same
// instant ("…27.1Z", "…27.100Z") have the same key.
func (t Timestamp) Key() string {
	if t.Time.IsZero() {
		return ""
	}
	return t.Time.UTC().Format(keyLayout)
}

// TimeKey is the Key of an instant.
func TimeKey(t time.Time) string { return t.UTC().Format(keyLayout) }

// FormatTimestamp writes t as a STIX/TAXII timestamp with microsecond precision.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}
