package backtest

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// IsTerminal reports whether w is a character device (a terminal), the
// only place a progress bar is drawn: in a pipe or a file its carriage
// returns would be noise.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// ProgressBar returns a Progress that redraws a bar on w, or nil when w is
// not a terminal (Run then reports nothing). The bar ends with a newline
// when the run is done.
func ProgressBar(w io.Writer, label string) Progress {
	if !IsTerminal(w) {
		return nil
	}
	last := -1
	return func(done, total int) {
		pct := 0
		if total > 0 {
			pct = done * 100 / total
		}
		if pct == last {
			return
		}
		last = pct
		fmt.Fprintf(w, "\r%s %s", label, RenderBar(done, total, 40))
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}

// RenderBar draws done out of total as a bar of width cells and a
// percentage, such as "[#########...............]  37%".
func RenderBar(done, total, width int) string {
	if total <= 0 {
		total = 1
	}
	done = min(max(done, 0), total)
	filled := done * width / total
	return fmt.Sprintf("[%s%s] %3d%%", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done*100/total)
}
