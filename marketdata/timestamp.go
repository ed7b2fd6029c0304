package marketdata

import (
	"fmt"
	"time"

	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// parseTimestamp reads the timestamps of CSV bar files without
// time.Parse's allocations: "2021-12-31 23:01:00.000000" (a space or 'T'
// between date and time, up to nine fractional digits, optionally 'Z' or
// "+00:00"), taken as UTC; or an integer Unix time whose digit count
// says its unit (10 or fewer: seconds, 13: ms, 16: µs, 19: ns).
func parseTimestamp(b []byte) (time.Time, error) {
	var days dayCache
	return days.parseTimestamp(b)
}

// dayCache remembers the date of the last timestamp a reader parsed and
// its day number: a bar file has hundreds of lines for each day, and
// the date was half the work of each timestamp. The zero value is ready.
type dayCache struct {
	date  [10]byte // "2021-12-31"
	days  int64    // days from 1970-01-01 to date
	known bool
}

// parseTimestamp is the package's parseTimestamp, reusing the day of
// the previous timestamp when the date is the same text.
func (c *dayCache) parseTimestamp(b []byte) (time.Time, error) {
	if isDigits(b) {
		return unixByDigits(b)
	}
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, fmt.Errorf("timestamp %s is not YYYY-MM-DD HH:MM:SS", quote(b))
	}
	hour, ok4 := twoDigits(b[11], b[12])
	minute, ok5 := twoDigits(b[14], b[15])
	sec, ok6 := twoDigits(b[17], b[18])
	timeOK := ok4 && ok5 && ok6 && hour <= 23 && minute <= 59 && sec <= 59
	sameDay := c.known && string(b[:10]) == string(c.date[:])
	var year, month, day int
	if !sameDay {
		var ok1, ok2, ok3 bool
		year, ok1 = digits(b[0:4])
		month, ok2 = digits(b[5:7])
		day, ok3 = digits(b[8:10])
		timeOK = timeOK && ok1 && ok2 && ok3 && month >= 1 && month <= 12 && day >= 1 && day <= 31
	}
	if !timeOK {
		return time.Time{}, fmt.Errorf("timestamp %s is not a valid date and time", quote(b))
	}
	rest := b[19:]
	nanos := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			if i > 9 {
				return time.Time{}, fmt.Errorf("timestamp %s has more than nine fractional digits", quote(b))
			}
			nanos = nanos*10 + int(rest[i]-'0')
		}
		if i == 1 {
			return time.Time{}, fmt.Errorf("timestamp %s has an empty fraction", quote(b))
		}
		// i-1 digits read: scale them up to nanoseconds.
		nanos *= int(fastdecimal.Pow10[10-i])
		rest = rest[i:]
	}
	switch string(rest) {
	case "", "Z", "+00:00", "+0000":
	default:
		return time.Time{}, fmt.Errorf("timestamp %s: only UTC is supported", quote(b))
	}
	if !sameDay {
		if day > daysIn(month, year) {
			return time.Time{}, fmt.Errorf("timestamp %s: no such day", quote(b))
		}
		copy(c.date[:], b[:10])
		c.days, c.known = daysSinceEpoch(year, month, day), true
	}
	// time.Date would normalise and look up the zone; for a checked UTC
	// date the Unix time is plain arithmetic, and the Time the same.
	unix := c.days*86400 + int64(hour*3600+minute*60+sec)
	return time.Unix(unix, int64(nanos)).UTC(), nil
}

// daysIn returns the number of days of a month (1-12) in the proleptic
// Gregorian calendar.
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

// daysSinceEpoch returns the days from 1970-01-01 to a valid date of
// years 0 to 9999, counting March as the first month so that the leap
// day ends the year (the civil-from-days method of Howard Hinnant's
// date algorithms, here for non-negative years only).
func daysSinceEpoch(year, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := year / 400
	if year < 0 {
		era = (year - 399) / 400
	}
	yearOfEra := year - era*400
	shifted := month + 9 // March is 0, February 11
	if month > 2 {
		shifted = month - 3
	}
	dayOfYear := (153*shifted+2)/5 + day - 1
	dayOfEra := yearOfEra*365 + yearOfEra/4 - yearOfEra/100 + dayOfYear
	return int64(era)*146097 + int64(dayOfEra) - 719468
}

// unixByDigits reads an integer Unix time in the unit its length implies.
func unixByDigits(b []byte) (time.Time, error) {
	n, err := parseInt(b)
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case len(b) <= 10:
		return time.Unix(n, 0).UTC(), nil
	case len(b) == 13:
		return time.UnixMilli(n).UTC(), nil
	case len(b) == 16:
		return time.UnixMicro(n).UTC(), nil
	case len(b) == 19:
		return time.Unix(0, n).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("unix time %s: %d digits is neither s, ms, µs nor ns", quote(b), len(b))
}

// unixSeconds reads a non-negative integer Unix time in seconds.
func unixSeconds(b []byte) (time.Time, error) {
	n, err := parseInt(b)
	if err != nil {
		return time.Time{}, err
	}
	if n > maxUnixSeconds {
		return time.Time{}, fmt.Errorf("unix time %s is beyond year 9999", quote(b))
	}
	return time.Unix(n, 0).UTC(), nil
}

// maxUnixSeconds is 9999-12-31; later times are input errors.
const maxUnixSeconds = 253402300799

// twoDigits reads two ASCII digits.
func twoDigits(hi, lo byte) (int, bool) {
	h, l := hi-'0', lo-'0'
	return int(h)*10 + int(l), h <= 9 && l <= 9
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
