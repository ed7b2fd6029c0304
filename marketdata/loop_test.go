package marketdata

import (
	"strings"
	"testing"
	"time"
)

func TestLoopReplaysAgainWithIncreasingTimes(t *testing.T) {
	const body = RecordingHeader + "\n" +
		"T 1000000000 BTC-USD 100 1 B\n" +
		"T 3000000000 BTC-USD 101 1 S\n"
	opened := 0
	l := NewLoop(func() (*Source, error) {
		opened++
		return OpenReader("loop.tbrec", strings.NewReader(body))
	})
	defer l.Close()
	want := []time.Duration{1 * time.Second, 3 * time.Second, 4 * time.Second, 6 * time.Second, 7 * time.Second, 9 * time.Second}
	for i, w := range want {
		tk, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Duration(tk.Time.UnixNano()); got != w {
			t.Errorf("tick %d at %v, want %v", i, got, w)
		}
		if !tk.Received.Equal(tk.Time) {
			t.Errorf("tick %d received %s, time %s", i, tk.Received, tk.Time)
		}
	}
	if l.Passes() != 3 || opened != 3 {
		t.Errorf("passes %d, opened %d, want 3", l.Passes(), opened)
	}
}

func TestLoopRefusesAnEmptyRecording(t *testing.T) {
	l := NewLoop(func() (*Source, error) {
		return OpenReader("empty.tbrec", strings.NewReader(RecordingHeader+"\n"))
	})
	defer l.Close()
	if _, err := l.Next(); err == nil || !strings.Contains(err.Error(), "empty.tbrec") {
		t.Fatalf("error %v, want one naming empty.tbrec", err)
	}
}
