package backtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestRenderETA(t *testing.T) {
	tests := []struct {
		name        string
		done, total int
		elapsed     time.Duration
		want        string
	}{
		{"a quarter in 10 s leaves 30 s", 1, 4, 10 * time.Second, "ETA 30s"},
		{"nothing done yet", 0, 4, time.Second, ""},
		{"done", 4, 4, 2100 * time.Millisecond, "done in 2.1s"},
	}
	for _, tc := range tests {
		if got := strings.TrimSpace(RenderETA(tc.done, tc.total, tc.elapsed)); got != tc.want {
			t.Errorf("%s: RenderETA = %q, want %q", tc.name, got, tc.want)
		}
	}
}
