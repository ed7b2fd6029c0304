package marketdata

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tradebot/tradebot/internal/testenv"
)

func TestMergeInterleavesByTimeAndKeepsSourceOrderOnTies(t *testing.T) {
	a := ticksAt(0, 2*time.Second, 4*time.Second)
	b := ticksAt(time.Second, 2*time.Second, 5*time.Second)
	for i := range a {
		a[i].ProductID = "A"
		b[i].ProductID = "B"
	}
	got := readAllTicks(t, Merge(&sliceSource{ticks: a}, &sliceSource{}, &sliceSource{ticks: b}))
	var order string
	for _, tk := range got {
		order += tk.ProductID
	}
	if order != "ABABAB" {
		t.Errorf("order %s, want ABABAB", order)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time.Before(got[i-1].Time) {
			t.Fatalf("tick %d goes back in time", i)
		}
	}
}

func TestMergeStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("bad file")
	m := Merge(&sliceSource{ticks: ticksAt(0, time.Second)}, &sliceSource{ticks: ticksAt(time.Second / 2), err: boom})
	var err error
	var n int
	for err == nil {
		_, err = m.Next()
		n++
	}
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	if _, again := m.Next(); !errors.Is(again, boom) {
		t.Errorf("after the error Next returned %v", again)
	}
}

// The two days of the Binance capture merge into the same stream the
// bundled recording holds.
func TestMergeOfTheCaptureFilesMatchesTheBundledRecording(t *testing.T) {
	var sources []TickSource
	for _, rel := range bundledCaptures {
		src, err := Open(testenv.SharedFile(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		sources = append(sources, src.Ticks)
	}
	bundled, err := Open(bundledPath())
	if err != nil {
		t.Fatal(err)
	}
	defer bundled.Close()
	m := Merge(sources...)
	for i := 0; ; i++ {
		got, gerr := m.Next()
		want, werr := bundled.Ticks.Next()
		if errors.Is(gerr, io.EOF) && errors.Is(werr, io.EOF) {
			return
		}
		if gerr != nil || werr != nil {
			t.Fatalf("tick %d: merge %v, bundled %v", i, gerr, werr)
		}
		if !sameTick(got, want) {
			t.Fatalf("tick %d: merge %+v, bundled %+v", i, got, want)
		}
	}
}
