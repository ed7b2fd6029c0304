package marketdata

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// parseTimestamp computes the Unix time itself; it must give exactly
// the Time that time.Date gives, for every valid date of years 0-9999,
// and refuse the days a month does not have.
func TestParseTimestampAgreesWithTimeDate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		year := rapid.IntRange(0, 9999).Draw(t, "year")
		month := rapid.IntRange(1, 12).Draw(t, "month")
		day := rapid.IntRange(1, 31).Draw(t, "day")
		hour := rapid.IntRange(0, 23).Draw(t, "hour")
		minute := rapid.IntRange(0, 59).Draw(t, "minute")
		sec := rapid.IntRange(0, 59).Draw(t, "sec")
		micros := rapid.IntRange(0, 999999).Draw(t, "micros")
		text := fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d.%06d", year, month, day, hour, minute, sec, micros)
		got, err := parseTimestamp([]byte(text))
		want := time.Date(year, time.Month(month), day, hour, minute, sec, micros*1000, time.UTC)
		if want.Day() != day {
			if err == nil {
				t.Fatalf("%s parsed as %v, want no such day", text, got)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("%s parsed as %v, %v; want %v", text, got, err, want)
		}
	})
}

func TestParseTimestampKnowsTheCalendar(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"2000-02-29 00:00:00", true}, // divisible by 400
		{"1900-02-29 00:00:00", false},
		{"2024-02-29 12:00:00", true},
		{"2023-02-29 12:00:00", false},
		{"2021-04-31 00:00:00", false},
		{"2021-12-31 23:59:59", true},
		{"0000-01-01 00:00:00", true},
		{"9999-12-31 23:59:59.999999999", true},
	} {
		got, err := parseTimestamp([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v, %v; want ok %v", tt.in, got, err, tt.ok)
		}
	}
}
