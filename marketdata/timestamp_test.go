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
		// A fraction of 0 to 9 digits.
		fracDigits := rapid.IntRange(0, 9).Draw(t, "fraction digits")
		frac, scale := 0, 1
		for range fracDigits {
			frac, scale = frac*10+rapid.IntRange(0, 9).Draw(t, "digit"), scale*10
		}
		text := fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", year, month, day, hour, minute, sec)
		if fracDigits > 0 {
			text += fmt.Sprintf(".%0*d", fracDigits, frac)
		}
		got, err := parseTimestamp([]byte(text))
		want := time.Date(year, time.Month(month), day, hour, minute, sec, frac*(1000000000/scale), time.UTC)
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

// A reader's dayCache reuses the day of the previous line; what it
// returns, and every error, must be what parseTimestamp alone gives,
// whatever came before.
func TestDayCacheGivesWhatParseTimestampGives(t *testing.T) {
	texts := []string{"2021-12-31 23:01:00.000000", "2021-12-31 23:02:00.5", "2021-12-31 24:00:00", "2021-12-31 23:59:60",
		"2022-01-01 00:00:00Z", "2022-01-01T00:01:00+00:00", "2022-01-01 00:01:00+01:00", "2022-01-01 00:01:00.", "2022-01-01 00:01:00.1234567890",
		"2022-02-29 00:00:00", "2022-02-29 00:00:00", "2022-02-28 00:00:00", "2022-13-01 00:00:00", "2022-01-01 0a:00:00", "1640995200", "2022-01-01 00:02:00"}
	rapid.Check(t, func(t *rapid.T) {
		var c dayCache
		for _, text := range rapid.SliceOf(rapid.SampledFrom(texts)).Draw(t, "lines") {
			got, err := c.parseTimestamp([]byte(text))
			want, werr := parseTimestamp([]byte(text))
			if got != want || fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("%s: cached %v, %v; alone %v, %v", text, got, err, want, werr)
			}
		}
	})
}
