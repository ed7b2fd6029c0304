// Command cbemu runs the Coinbase Advanced Trade emulator on loopback, so
// that the daemon's live mode can run end to end against a simulated
// exchange: REST, the market-data and user WebSockets, JWT checks, rate
// limits and fault injection (see docs/EMULATOR.md).
//
//	cbemu --listen 127.0.0.1:8089 --key-file /tmp/cbemu-key.json --speed 1
//
// It prints the three URLs for the daemon's config (coinbase.rest_url,
// market_data_url, user_url) and serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/marketdata/bundled"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cbemu:", err)
		os.Exit(1)
	}
}

// run parses args, starts the emulator, prints its URLs to stdout and
// serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cbemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on (loopback; port 0 picks a free one)")
	recording := fs.String("recording", "bundled", `market recording to replay: "bundled", a file marketdata.Open reads, or "none"`)
	speed := fs.Float64("speed", 1, "replay speed as a multiple of the recorded pace (0: as fast as possible)")
	loop := fs.Bool("loop", true, "replay the recording again when it ends")
	mirror := fs.String("mirror", bundled.Product+"=BTC-USD", "feed a recorded product to others too: FROM=TO[+TO...][,FROM=TO...]; empty for none")
	keyFile := fs.String("key-file", "", "CDP key file to use, or to create (mode 0600) with a fresh ECDSA key when it does not exist")
	canTransfer := fs.Bool("can-transfer", false, "report the key as able to transfer funds (to test the daemon's refusal)")
	noTrade := fs.Bool("no-trade", false, "refuse order changes with 403, as for a view-only key")
	allowedIPs := fs.String("key-allowed-ips", "", "the key's IP allow-list, addresses or CIDR ranges separated by commas (e.g. 10.0.0.0/8,192.0.2.7); other clients get 401. Empty: any address")
	activeIn := fs.Duration("key-active-in", 0, "refuse the key with 401 for this long after start, as Coinbase does a new key for up to 48h (e.g. 48h)")
	revoked := fs.Bool("key-revoked", false, "refuse the key with 401, as Coinbase does a revoked or deleted key")
	balances := fs.String("balances", "USD=10000,USDT=10000,BTC=0", "starting balances: CUR=AMOUNT,...")
	noRateLimit := fs.Bool("no-rate-limit", false, "do not enforce Coinbase's 30/s private and 10/s public request rates")
	partial := fs.Bool("partial-fills", false, "fill orders only as much as the market shows at their price, in parts, as Coinbase does")
	maxFill := fs.String("max-fill-size", "", "with --partial-fills: the most base each tick shows at a price (e.g. 0.002), so that larger orders fill in parts")
	pending := fs.Duration("pending", 0, "report a new order PENDING over REST for this long while it has not filled (e.g. 500ms)")
	queueFor := fs.Duration("queue-for", 0, "keep every new order QUEUED (accepted, off the book, funds held) for this long before it goes on the book (e.g. 2s)")
	editQueueFor := fs.Duration("edit-queue-for", 0, "keep every accepted edit EDIT_QUEUED for this long before it applies; the order works on its old terms meanwhile (e.g. 2s)")
	verbose := fs.Bool("v", false, "log every refused JWT and dropped client (never the token)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyFile == "" {
		return errors.New("--key-file is required: the daemon needs the key the emulator accepts")
	}
	capSize := decimal.Zero
	if *maxFill != "" {
		v, err := decimal.NewFromString(*maxFill)
		if err != nil || !v.IsPositive() {
			return fmt.Errorf("--max-fill-size %.40q: want a positive amount of the base currency, such as 0.002", *maxFill)
		}
		if !*partial {
			return errors.New("--max-fill-size needs --partial-fills")
		}
		capSize = v
	}
	if *pending < 0 {
		return fmt.Errorf("--pending %s: must not be negative", *pending)
	}
	if *queueFor < 0 || *editQueueFor < 0 {
		return fmt.Errorf("--queue-for %s, --edit-queue-for %s: must not be negative", *queueFor, *editQueueFor)
	}
	bal, err := parseBalances(*balances)
	if err != nil {
		return err
	}
	mirrors, err := parseMirror(*mirror)
	if err != nil {
		return err
	}
	key, created, err := loadOrCreateKey(*keyFile)
	if err != nil {
		return err
	}
	key.CanTransfer, key.CanTrade = *canTransfer, !*noTrade
	if key.AllowedIPs, err = parseAllowedIPs(*allowedIPs); err != nil {
		return err
	}
	if *activeIn < 0 {
		return fmt.Errorf("--key-active-in %s: must not be negative", *activeIn)
	}
	if *activeIn > 0 {
		key.ActiveFrom = time.Now().Add(*activeIn)
	}
	key.Revoked = *revoked
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	opts := emulator.Options{
		Addr: *listen, Balances: bal, Keys: []emulator.Key{key},
		RateLimits:   emulator.RateLimits{Disabled: *noRateLimit},
		PartialFills: *partial, MaxFillSize: capSize, PendingFor: *pending,
		QueueFor: *queueFor, EditQueueFor: *editQueueFor,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	if opts.Market, err = market(*recording, *speed, *loop, mirrors); err != nil {
		return err
	}
	e, err := emulator.New(opts)
	if err != nil {
		return err
	}
	if err := e.Start(ctx); err != nil {
		return err
	}
	verb := "using"
	if created {
		verb = "wrote a fresh key to"
	}
	fmt.Fprintf(stdout, "cbemu: %s %s (key %s, can_trade %v, can_transfer %v)\n", verb, *keyFile, key.Name, key.CanTrade, key.CanTransfer)
	fmt.Fprintf(stdout, "coinbase:\n  rest_url: %s\n  market_data_url: %s\n  user_url: %s\n  key_file: %s\n",
		e.RESTURL(), e.MarketDataURL(), e.UserURL(), *keyFile)
	fmt.Fprintf(stdout, "faults: POST %s%s  stats: GET %s%s\n", e.BaseURL(), emulator.FaultsPath, e.BaseURL(), emulator.StatsPath)
	if *recording == "bundled" {
		fmt.Fprint(stdout, bundled.Attribution)
	}
	<-ctx.Done()
	select {
	case <-e.Done():
	case <-time.After(10 * time.Second):
		return errors.New("the emulator did not stop within 10s")
	}
	return nil
}

// market returns the replay for the --recording flag, or nil for "none".
func market(recording string, speed float64, loop bool, mirror map[string][]string) (*emulator.Market, error) {
	var open func() (marketdata.TickSource, error)
	switch recording {
	case "none", "":
		return nil, nil
	case "bundled":
		open = func() (marketdata.TickSource, error) {
			s, err := bundled.Open()
			if err != nil {
				return nil, err
			}
			return s.TickStream(), nil
		}
	default:
		// Open once now so that a wrong path fails at start, not later.
		s, err := marketdata.Open(recording)
		if err != nil {
			return nil, fmt.Errorf("--recording: %w", err)
		}
		s.Close()
		open = func() (marketdata.TickSource, error) {
			s, err := marketdata.Open(recording)
			if err != nil {
				return nil, err
			}
			return closingSource{s.TickStream(), s}, nil
		}
	}
	return &emulator.Market{Open: open, Speed: speed, Loop: loop, Mirror: mirror}, nil
}

// closingSource closes the file of a tick stream when the replay ends.
type closingSource struct {
	marketdata.TickSource
	io.Closer
}

func parseBalances(s string) (map[string]decimal.Decimal, error) {
	out := map[string]decimal.Decimal{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		cur, amount, ok := strings.Cut(part, "=")
		v, err := decimal.NewFromString(strings.TrimSpace(amount))
		if !ok || err != nil || v.IsNegative() || strings.TrimSpace(cur) == "" {
			return nil, fmt.Errorf("--balances: %q is not CUR=AMOUNT with a non-negative amount", part)
		}
		out[strings.ToUpper(strings.TrimSpace(cur))] = v
	}
	return out, nil
}

func parseMirror(s string) (map[string][]string, error) {
	out := map[string][]string{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, to, ok := strings.Cut(part, "=")
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("--mirror: %q is not FROM=TO", part)
		}
		out[from] = append(out[from], strings.Split(to, "+")...)
	}
	return out, nil
}

// parseAllowedIPs reads --key-allowed-ips: addresses or CIDR ranges.
func parseAllowedIPs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("--key-allowed-ips: %.40q is neither an IP address nor a CIDR range such as 10.0.0.0/8", part)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// loadOrCreateKey reads the key file, or creates it with a fresh key.
func loadOrCreateKey(path string) (emulator.Key, bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		k, kf, err := emulator.GenerateKey()
		if err != nil {
			return emulator.Key{}, false, err
		}
		if err := emulator.WriteKeyFile(path, kf); err != nil {
			return emulator.Key{}, false, err
		}
		return k, true, nil
	}
	if err != nil {
		return emulator.Key{}, false, fmt.Errorf("--key-file: %w", err)
	}
	creds, err := coinbase.LoadKeyFile(path)
	if err != nil {
		return emulator.Key{}, false, fmt.Errorf("--key-file %s: %w", path, err)
	}
	return emulator.Key{Name: creds.KeyName(), PublicKey: creds.PublicKey(), CanView: true, CanTrade: true,
		PortfolioUUID: emulator.DefaultPortfolioUUID}, false, nil
}
