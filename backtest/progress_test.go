package backtest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestRenderBar(t *testing.T) {
	tests := []struct {
		name               string
		done, total, width int
		want               string
	}{
		{"empty", 0, 100, 10, "[..........]   0%"},
		{"a third", 1, 3, 9, "[###......]  33%"},
		{"full", 100, 100, 4, "[####] 100%"},
		{"over the total is full", 150, 100, 4, "[####] 100%"},
		{"negative is empty", -5, 100, 4, "[....]   0%"},
		{"no total", 0, 0, 4, "[....]   0%"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RenderBar(tc.done, tc.total, tc.width); got != tc.want {
				t.Errorf("RenderBar(%d, %d, %d) = %q, want %q", tc.done, tc.total, tc.width, got, tc.want)
			}
		})
	}
}

func TestNoProgressBarWhenNotATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, w := range []any{f, &bytes.Buffer{}} {
		w := w.(interface{ Write([]byte) (int, error) })
		if IsTerminal(w) {
			t.Errorf("%T is taken for a terminal", w)
		}
		if p := ProgressBar(w, "backtest"); p != nil {
			t.Errorf("a progress bar for %T", w)
		}
	}
}
