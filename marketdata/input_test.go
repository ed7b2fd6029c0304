package marketdata

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"
)

// cutFields must cut exactly where bytes.Split does, whatever the bytes
// around a separator (the eight-byte scan must not see a separator next
// to one, nor miss one at the end of a word).
func TestCutFieldsCutsWhereSplitDoes(t *testing.T) {
	check := func(t interface{ Fatalf(string, ...any) }, line []byte, sep byte) {
		want := bytes.Split(line, []byte{sep})
		fs := cutFields(line, sep)
		if fs.n != len(want) {
			t.Fatalf("cutFields(%q, %q) has %d fields, Split %d", line, sep, fs.n, len(want))
		}
		for i := 0; i < min(fs.n, maxFields); i++ {
			if !bytes.Equal(fs.f[i], want[i]) {
				t.Fatalf("cutFields(%q, %q) field %d is %q, Split gives %q", line, sep, i, fs.f[i], want[i])
			}
		}
	}
	for _, line := range []string{"", ",", ",,", "a", "1,-5", ",-,-,-,-,-,-,-,-,-", "2021-12-31 23:01:00.000000,46319.0,46385.0,46319.0,46377.0,2300413.7295",
		"12345678,", "1234567,8", "\xac\xad,\x2d\x2b,,,,,,,,,,,,,,,,,,,,,"} {
		check(t, []byte(line), ',')
	}
	alphabet := []byte{',', '-', '+', ' ', 0, 0x80, 0xac, 0xff, '1', '.'}
	rapid.Check(t, func(t *rapid.T) {
		line := rapid.SliceOf(rapid.SampledFrom(alphabet)).Draw(t, "line")
		sep := rapid.SampledFrom([]byte{',', ' ', 0, 0xff}).Draw(t, "sep")
		check(t, line, sep)
	})
}
