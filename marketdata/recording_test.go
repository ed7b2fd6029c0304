package marketdata

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func readAllTicks(t *testing.T, src TickSource) []exchange.Tick {
	t.Helper()
	var out []exchange.Tick
	for {
		tk, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tk)
	}
}

func TestRecordingRoundTripKeepsTextAndOrder(t *testing.T) {
	const want = RecordingHeader + "\n" +
		"Q 1723161254087891268 BTC-USDT 61837.63000000 3.78826000 61837.64000000 1.54698000\n" +
		"T 1723161254087896568 BTC-USDT 61837.63000000 0.02000000 S\n" +
		"T 1723161254087896568 ETH-USD 2500 1.5 B\n"
	for _, compressed := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "gzip"}[compressed]
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			var w *Writer
			if compressed {
				var err error
				if w, err = NewGzipWriter(&buf, gzip.BestSpeed); err != nil {
					t.Fatal(err)
				}
			} else {
				w = NewWriter(&buf)
			}
			must(t, w.WriteQuote(1723161254087891268, "BTC-USDT", "61837.63000000", "3.78826000", "61837.64000000", "1.54698000"))
			must(t, w.WriteTrade(1723161254087896568, "BTC-USDT", "61837.63000000", "0.02000000", exchange.Sell))
			must(t, w.WriteTick(exchange.Tick{ProductID: "ETH-USD", Kind: exchange.TradeTick, Time: time.Unix(0, 1723161254087896568), Price: dec("2500"), Size: dec("1.5"), TakerSide: exchange.Buy}))
			must(t, w.Close())
			if compressed != bytes.HasPrefix(buf.Bytes(), gzipMagic) {
				t.Fatalf("gzip magic present = %v, want %v", !compressed, compressed)
			}
			r, err := NewReader(bytes.NewReader(buf.Bytes()), "roundtrip")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ticks := readAllTicks(t, r)
			if len(ticks) != 3 {
				t.Fatalf("%d ticks, want 3", len(ticks))
			}
			q, tr := ticks[0], ticks[1]
			if q.Kind != exchange.QuoteTick || !q.Bid.Equal(dec("61837.63")) || !q.AskSize.Equal(dec("1.54698")) || q.ProductID != "BTC-USDT" {
				t.Errorf("quote %+v", q)
			}
			if tr.Kind != exchange.TradeTick || tr.TakerSide != exchange.Sell || !tr.Size.Equal(dec("0.02")) || tr.Time.UnixNano() != 1723161254087896568 || !tr.Received.Equal(tr.Time) {
				t.Errorf("trade %+v", tr)
			}
			// Writing the read ticks again gives the same text.
			var again bytes.Buffer
			w2 := NewWriter(&again)
			for _, tk := range ticks {
				must(t, w2.WriteTick(tk))
			}
			must(t, w2.Close())
			if again.String() != want {
				t.Errorf("rewritten:\n%s\nwant:\n%s", again.String(), want)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRecordingReaderNamesFileLineAndField(t *testing.T) {
	tests := []struct {
		name, body string
		line       int
		field      string
	}{
		{"missing header", "T 1 BTC-USD 1 1 B\n", 1, ""},
		{"empty file", "", 1, ""},
		{"unknown kind", RecordingHeader + "\nX 1 BTC-USD 1 1 B\n", 2, "kind"},
		{"short trade", RecordingHeader + "\nT 1 BTC-USD 1 1\n", 2, ""},
		{"bad time", RecordingHeader + "\nT -1 BTC-USD 1 1 B\n", 2, "unix_nanos"},
		{"bad price", RecordingHeader + "\n# a comment\nT 1 BTC-USD 1,0 1 B\n", 3, "price"},
		{"bad side", RecordingHeader + "\nT 1 BTC-USD 1 1 BUY\n", 2, "taker_side"},
		{"bad ask size", RecordingHeader + "\nQ 1 BTC-USD 1 1 2 x\n", 2, "ask_size"},
		{"double space", RecordingHeader + "\nT 1  BTC-USD 1 1 B\n", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.body), "bad.tbrec")
			if err != nil {
				t.Fatal(err)
			}
			var perr *ParseError
			for err == nil {
				_, err = r.Next()
			}
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if perr.File != "bad.tbrec" || perr.Line != tt.line || perr.Field != tt.field {
				t.Errorf("error at %s:%d field %q, want line %d field %q (%v)", perr.File, perr.Line, perr.Field, tt.line, tt.field, err)
			}
			if !strings.Contains(err.Error(), "bad.tbrec line") {
				t.Errorf("message %q does not name the file and line", err)
			}
		})
	}
}

func TestRecordingWriterRefusesWhatWouldCorruptTheFile(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *Writer) error
	}{
		{"space in product", func(w *Writer) error { return w.WriteTrade(1, "BTC USD", "1", "1", exchange.Buy) }},
		{"empty product", func(w *Writer) error { return w.WriteTrade(1, "", "1", "1", exchange.Buy) }},
		{"newline in price", func(w *Writer) error { return w.WriteTrade(1, "BTC-USD", "1\nT", "1", exchange.Buy) }},
		{"unknown side", func(w *Writer) error { return w.WriteTrade(1, "BTC-USD", "1", "1", "") }},
		{"negative time", func(w *Writer) error { return w.WriteQuote(-1, "BTC-USD", "1", "1", "2", "1") }},
		{"empty ask", func(w *Writer) error { return w.WriteQuote(1, "BTC-USD", "1", "1", "", "1") }},
		{"unknown tick kind", func(w *Writer) error { return w.WriteTick(exchange.Tick{ProductID: "BTC-USD"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			if err := tt.write(w); err == nil {
				t.Fatal("write succeeded")
			}
			must(t, w.Close())
			if buf.String() != RecordingHeader+"\n" {
				t.Errorf("file is %q, want the header only", buf.String())
			}
		})
	}
}

func TestRecordingWriterFailsAfterClose(t *testing.T) {
	w := NewWriter(io.Discard)
	must(t, w.Close())
	if err := w.WriteTrade(1, "BTC-USD", "1", "1", exchange.Buy); err == nil {
		t.Fatal("write after close succeeded")
	}
}

// The committed copy of the converted capture reads back with the counts
// SOURCES.md gives, in non-decreasing time order.
func TestBundledRecordingReadsBackWithSourceCounts(t *testing.T) {
	src, err := Open(bundledPath())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Format != Recording {
		t.Fatalf("format %s", src.Format)
	}
	var trades, quotes int
	var last time.Time
	for _, tk := range readAllTicks(t, src.Ticks) {
		if tk.Time.Before(last) {
			t.Fatalf("time goes back at %s", tk.Time)
		}
		last = tk.Time
		if tk.Kind == exchange.TradeTick {
			trades++
		} else {
			quotes++
		}
	}
	if trades != 9757+10147 || quotes != 28040+45134 {
		t.Errorf("%d trades %d quotes", trades, quotes)
	}
}

// A recorder that dies after Flush must leave a gzip file whose flushed
// lines read back; the reader then reports the truncation, naming the
// file and the last good line.
func TestGzipRecordingIsReadableUpToTheLastFlush(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewGzipWriter(&buf, gzip.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	must(t, w.WriteTrade(1, "BTC-USD", "100.00", "0.5", exchange.Buy))
	must(t, w.WriteTrade(2, "BTC-USD", "100.01", "0.25", exchange.Sell))
	must(t, w.Flush())
	// No Close: the process died here.
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "crashed.tbrec.gz")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for {
		_, err = r.Next()
		if err != nil {
			break
		}
		n++
	}
	if n != 2 {
		t.Errorf("read %d trades, want 2", n)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "crashed.tbrec.gz after line 3") {
		t.Errorf("error %v, want an unexpected EOF after line 3 of crashed.tbrec.gz", err)
	}
}
