// Package echo shortens what a user wrote before a message echoes it
// back: a value pasted whole into an error (a 10 kB YAML scalar, a
// password typed into the wrong field) must not flood a terminal or a log.
// It cuts whole characters, so an echoed UTF-8 value stays valid.
//
// A value that looks like a private key (a PEM block, or a padded base64
// key such as an Ed25519 seed) is never echoed, not even cut: the first
// 80 characters of a pasted PEM key hold most of its secret scalar.
package echo

import "unicode/utf8"

// Limit is how many characters of a user's value a message echoes.
const Limit = 80

// Cut returns s cut to Limit characters, the cut marked with "…".
func Cut(s string) string { return CutTo(s, Limit) }

// CutTo returns s cut to at most n characters (n >= 1), the cut marked
// with "…", which counts as one of the n. A value that looks like key
// material is replaced by a note saying so, whatever n.
func CutTo(s string, n int) string {
	if n < 1 {
		n = 1
	}
	if LooksLikeKey(s) {
		return hidden
	}
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	kept := 0
	for i := range s {
		if kept == n-1 {
			return s[:i] + "…"
		}
		kept++
	}
	return s
}
