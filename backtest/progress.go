package backtest

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
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

// ProgressBar returns a Progress that redraws a bar and the time left on
// w, or nil when w is not a terminal (Run then reports nothing). The bar
// ends with a newline when the run is done.
func ProgressBar(w io.Writer, label string) Progress {
	if !IsTerminal(w) {
		return nil
	}
	start := time.Now()
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
		fmt.Fprintf(w, "\r%s %s %s", label, RenderBar(done, total, 40), RenderETA(done, total, time.Since(start)))
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}

// RenderETA estimates the time left from the time elapsed for done out
// of total, at the same pace: "ETA 1m20s", or padding before the first
// step and "done in 2.1s" at the end.
func RenderETA(done, total int, elapsed time.Duration) string {
	switch {
	case total > 0 && done >= total:
		return fmt.Sprintf("done in %-9s", elapsed.Round(100*time.Millisecond))
	case done <= 0 || total <= 0:
		return fmt.Sprintf("%-17s", "")
	}
	left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
	return fmt.Sprintf("ETA %-13s", left.Round(time.Second))
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
