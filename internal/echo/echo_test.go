package echo

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCutKeepsShortValuesWhole(t *testing.T) {
	for _, s := range []string{"", "abc", strings.Repeat("x", Limit), strings.Repeat("é", Limit)} {
		if got := Cut(s); got != s {
			t.Errorf("Cut(%d chars) = %q, want it unchanged", utf8.RuneCountInString(s), got)
		}
	}
}

func TestCutShortensLongValuesToTheLimitOnACharacterBoundary(t *testing.T) {
	for _, s := range []string{strings.Repeat("x", 10000), strings.Repeat("€", 81), "a" + strings.Repeat("日本", 100)} {
		got := Cut(s)
		if n := utf8.RuneCountInString(got); n != Limit {
			t.Errorf("Cut of %d chars kept %d, want %d", utf8.RuneCountInString(s), n, Limit)
		}
		if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
			t.Errorf("Cut = %q: want valid UTF-8 ending in an ellipsis", got)
		}
	}
}

func TestCutToSmallBounds(t *testing.T) {
	if got := CutTo("abcdef", 3); got != "ab…" {
		t.Errorf("CutTo(abcdef, 3) = %q, want ab…", got)
	}
	if got := CutTo("abcdef", 0); got != "…" {
		t.Errorf("CutTo(abcdef, 0) = %q, want …", got)
	}
}

func FuzzCut(f *testing.F) {
	f.Add("plain", 80)
	f.Add(strings.Repeat("€", 200), 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n > 1000 || n < -5 {
			return
		}
		got := CutTo(s, n)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("CutTo broke UTF-8: %q", got)
		}
		if utf8.RuneCountInString(got) > max(n, 1) && got != s {
			t.Fatalf("CutTo(%q, %d) = %q: longer than %d", s, n, got, n)
		}
	})
}
