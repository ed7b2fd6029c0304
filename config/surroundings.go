package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/marketdata"
)

// maxSize bounds an entry's size: a larger number is a typing slip, and
// it would overflow the risk guard's fixed-point arithmetic.
var maxSize = decimal.New(1, 15)

// checkSurroundings finds what the daemon would refuse or trip on at start
// that the values alone do not show: addresses that do not parse, paths
// that are of the wrong kind or in missing directories, a web config
// file the exporter-toolkit refuses, and entry sizes no order could have.
// Each error starts with the yaml path of its field.
func (c *Config) checkSurroundings() []error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if err := CheckListenAddress(c.Web.ListenAddress); err != nil {
		add("web.listen_address", "%v", err)
	}
	if c.Web.ConfigFile != "" {
		if err := CheckWebConfigFile(c.Web.ConfigFile); err != nil {
			add("web.config_file", "%s: %v", echo.Cut(c.Web.ConfigFile), err)
		}
	}
	if c.StateDir != "" {
		if fi, err := os.Stat(c.StateDir); err == nil && !fi.IsDir() {
			add("state_dir", "%s is a file, not a directory", echo.Cut(c.StateDir))
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			add("state_dir", "%v", err)
		}
	}
	if r := c.Paper.Recording; c.Mode == ModePaper && c.Paper.Feed == "replay" && r != "" && r != "bundled" {
		if fi, err := os.Stat(r); err != nil {
			add("paper.recording", "cannot read %s: %s", echo.Cut(r), echo.FileReason(err))
		} else if fi.IsDir() {
			add("paper.recording", "%s is a directory, not a recording file", echo.Cut(r))
		} else if err := checkRecording(r); err != nil {
			add("paper.recording", "%v", err)
		}
	}
	if f := c.KillSwitch.File; f != "" {
		dir := filepath.Dir(f)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			// The path is echoed whole (cut), not its directory: a part of
			// a value escapes the check that hides a pasted key.
			add("kill_switch.file", "the directory of %s does not exist, so the file could never be created there", echo.Cut(f))
		}
	}
	maxOrder := c.Risk.Limits.MaxOrderNotional
	for i, s := range c.Strategies {
		path := fmt.Sprintf("strategies[%d].size", i)
		if s.Size.Quote.GreaterThan(maxSize) {
			add(path+".quote", "%s is above the largest size tradebot takes, 1e15", echo.Cut(s.Size.Quote.String()))
		} else if maxOrder.IsPositive() && s.Size.Quote.GreaterThan(maxOrder) {
			add(path+".quote", "%s is above risk.limits.max_order_notional %s, so the risk guard would refuse every entry", s.Size.Quote, maxOrder)
		}
		if s.Size.Base.GreaterThan(maxSize) {
			add(path+".base", "%s is above the largest size tradebot takes, 1e15", echo.Cut(s.Size.Base.String()))
		}
	}
	return errs
}

// checkRecording opens a replay's file as the daemon does at start, which
// reads its first lines only: a file of no format tradebot reads, or one
// that names no product (a candle file; backtest takes those with
// --product, which run has not), would stop the daemon as it starts.
func checkRecording(path string) error {
	src, err := marketdata.Open(path)
	if err == nil {
		return src.Close()
	}
	if src, perr := marketdata.Open(path, marketdata.DefaultProduct("BTC-USD")); perr == nil {
		format := src.Format
		src.Close()
		return fmt.Errorf("%s is a %s file, which names no product: paper mode replays files whose ticks name theirs "+
			"(a recording of tradebot record, a Binance or cryptofeed capture); backtest takes this one with --product", echo.Cut(path), format)
	}
	return err
}
