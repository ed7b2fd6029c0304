package marketdata

import (
	"bytes"
	"compress/gzip"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tradebot/tradebot/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the bundled recording from ../shared")

// bundledName is the converted Binance capture. Its one copy lives
// beside the bundled package, because go:embed cannot reach a parent
// folder; testdata/SOURCES.md gives its attribution.
const bundledName = "binance-btcusdt-20240808.tbrec.gz"

var bundledCaptures = []string{
	"data/market/hftbacktest--spot-btcusdt_20240808.gz",
	"data/market/hftbacktest--spot-btcusdt_20240809.gz",
}

func bundledPath() string {
	return filepath.Join(testenv.RepoRoot(), "marketdata", "bundled", bundledName)
}

// convertBundled runs the converter over both capture files into one
// recording, as the bundled file was made: gzip at the best compression
// when it is to be written, plain text when only compared.
func convertBundled(t *testing.T, compress bool) []byte {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out)
	if compress {
		var err error
		if w, err = NewGzipWriter(&out, gzip.BestCompression); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range bundledCaptures {
		f, err := os.Open(testenv.SharedFile(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		err = ConvertBinanceCapture(f, w)
		f.Close()
		if err != nil {
			t.Fatalf("convert %s: %v", rel, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// The committed recording must be exactly what the converter makes from
// the source capture. The decompressed text is compared, so that a
// change in compress/flate's output between Go releases does not fail
// the test; run with -update to rewrite it.
func TestBundledRecordingIsTheConvertedCapture(t *testing.T) {
	p := bundledPath()
	if *update {
		if err := os.WriteFile(p, convertBundled(t, true), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := convertBundled(t, false)
	committed, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./marketdata -run TestBundled -update)", err)
	}
	if !bytes.Equal(gunzip(t, committed), want) {
		t.Errorf("%s differs from the converted capture; run go test ./marketdata -run TestBundled -update", p)
	}
}
