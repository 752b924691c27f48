package stix

import (
	"errors"
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

// ParseTimestamp parses a STIX timestamp (STIX 2.1 §2.16): the form
// YYYY-MM-DDTHH:MM:SS[.s+]Z. It refuses offsets other than "Z", lower-case
// "t"/"z", a decimal point without digits and out-of-range fields. A leap
// second is accepted at 23:59:60 (RFC 3339 §5.7) and denotes the instant
// after 23:59:59.999999999. Fractional digits beyond nanoseconds are kept in
// Text but carry no meaning in Time.
func ParseTimestamp(s string) (Timestamp, error) {
	t, err := parseTime(s)
	if err != nil {
		return Timestamp{}, fmt.Errorf("%w: %q", err, clip(s))
	}
	return Timestamp{Time: t, Text: s}, nil
}

var (
	errTimestampShape = errors.New("must be an RFC 3339 timestamp in UTC such as 2016-05-12T08:17:27.000Z")
	errTimestampRange = errors.New("is not a valid date and time")
)

// parseTimestampValue parses a JSON string value holding a timestamp without
// allocating.
func parseTimestampValue(raw []byte) (time.Time, error) {
	s, ok := rawString(raw)
	if !ok {
		return time.Time{}, errors.New("must be a timestamp string")
	}
	t, err := parseTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q", err, clip(string(s)))
	}
	return t, nil
}

func parseTime[S ~string | ~[]byte](s S) (time.Time, error) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return time.Time{}, errTimestampShape
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, errTimestampShape
	}
	nsec := 0
	if frac := s[19 : len(s)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 {
			return time.Time{}, errTimestampShape
		}
		scale := 100000000
		for i := 1; i < len(frac); i++ {
			c := frac[i]
			if c < '0' || c > '9' {
				return time.Time{}, errTimestampShape
			}
			nsec += int(c-'0') * scale
			scale /= 10
		}
	}
	leap := sec == 60 && hour == 23 && minute == 59
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || (sec > 59 && !leap) {
		return time.Time{}, errTimestampRange
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), nil
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
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
	if t.Text == "" && t.Time.IsZero() {
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
