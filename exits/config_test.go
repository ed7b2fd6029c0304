package exits

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const exampleYAML = `
placement: bot
attach_to_entry: false
trigger: last
stop_loss: {percent: 1.5}
stop_limit_offset_percent: 0.5
take_profit:
  - {percent: 1.0, close: 0.5}
  - {percent: 2.0, close: 1.0}
trailing_stop: {callback_percent: 0.8, activation_percent: 0.5}
break_even: {after_take_profit: true, offset_percent: 1.2}
time_stop: {max_holding: 4h}
update: {min_interval: 5s, min_step_percent: 0.05}
stale_after: 10s
`

func TestConfigDecodesTheDocumentedBlock(t *testing.T) {
	var c Config
	if err := yaml.Unmarshal([]byte(exampleYAML), &c); err != nil {
		t.Fatal(err)
	}
	if errs := c.Validate(); len(errs) > 0 {
		t.Fatalf("documented block invalid: %v", errs)
	}
	switch {
	case c.Placement != InBot || c.Trigger != TriggerLast:
		t.Errorf("placement %q trigger %q", c.Placement, c.Trigger)
	case !c.StopLoss.Percent.Equal(d("1.5")):
		t.Errorf("stop_loss.percent %s", c.StopLoss.Percent)
	case len(c.TakeProfit) != 2 || !c.TakeProfit[1].Close.Equal(d("1")):
		t.Errorf("take_profit %+v", c.TakeProfit)
	case !c.TrailingStop.CallbackPercent.Equal(d("0.8")) || !c.TrailingStop.ActivationPercent.Equal(d("0.5")):
		t.Errorf("trailing_stop %+v", c.TrailingStop)
	case !c.BreakEven.AfterTakeProfit || !c.BreakEven.OffsetPercent.Equal(d("1.2")):
		t.Errorf("break_even %+v", c.BreakEven)
	case c.TimeStop.MaxHolding != 4*time.Hour || c.Update.MinInterval != 5*time.Second || c.StaleAfter != 10*time.Second:
		t.Errorf("durations %v %v %v", c.TimeStop.MaxHolding, c.Update.MinInterval, c.StaleAfter)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // prefixes of the errors, in order
	}{
		{"no stop loss", `placement: exchange`, []string{"stop_loss: is required"}},
		{"two stop kinds", `stop_loss: {percent: 1, price: 100}`, []string{"stop_loss: give exactly one"}},
		{"bad placement and trigger", "placement: cloud\ntrigger: mid\nstop_loss: {percent: 1}",
			[]string{"placement: must be exchange or bot", "trigger: must be last or bid"}},
		{"bid trigger on the exchange", "trigger: bid\nstop_loss: {percent: 1}", []string{"trigger: bid needs placement: bot"}},
		{"close out of range", "stop_loss: {percent: 1}\ntake_profit: [{percent: 1, close: 0.5}, {percent: 2, close: 1.5}]",
			[]string{"take_profit[1].close: must be in (0, 1]"}},
		{"levels must rise", "stop_loss: {percent: 1}\ntake_profit: [{percent: 2, close: 0.5}, {percent: 1, close: 1}]",
			[]string{"take_profit[1]: levels must rise"}},
		{"levels before the last close everything", "stop_loss: {percent: 1}\ntake_profit: [{percent: 1, close: 1}, {percent: 2, close: 1}]",
			[]string{"take_profit[0].close: the levels before the last close 1"}},
		{"atr without a period", "stop_loss: {atr: {multiple: 2, interval: 1m}}", []string{"stop_loss.atr.period: must be at least 1"}},
		{"trailing without callback", "stop_loss: {percent: 1}\ntrailing_stop: {activation_percent: 1}",
			[]string{"trailing_stop.callback_percent: must be in (0, 100)"}},
		{"break-even with nothing to arm it", "stop_loss: {percent: 1}\nbreak_even: {offset_percent: 0.1}",
			[]string{"break_even: give after_take_profit: true or a positive at_percent"}},
		{"attach needs one level", "attach_to_entry: true\nstop_loss: {percent: 1}",
			[]string{"attach_to_entry: needs exactly one take_profit level"}},
		{"time stop zero", "stop_loss: {percent: 1}\ntime_stop: {max_holding: 0s}", []string{"time_stop.max_holding: must be positive"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			if err := yaml.Unmarshal([]byte(tc.yaml), &c); err != nil {
				t.Fatal(err)
			}
			errs := c.Validate()
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %d: %v", errs, len(tc.want), tc.want)
			}
			for i, e := range errs {
				if !strings.HasPrefix(e.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, e, tc.want[i])
				}
			}
		})
	}
}

// The config loader hands Validate whatever a user wrote; it must answer
// with errors, never panic, and a block it accepts must make a Manager
// that can take a tick.
func FuzzConfigYAML(f *testing.F) {
	f.Add(exampleYAML)
	f.Add("stop_loss: {atr: {multiple: 2, period: 14, interval: 1m}}")
	f.Add("attach_to_entry: true\nstop_loss: {price: 60000}\ntake_profit: [{price: 62000, close: 1}]")
	f.Fuzz(func(t *testing.T, src string) {
		var c Config
		if yaml.Unmarshal([]byte(src), &c) != nil {
			return
		}
		if len(c.Validate()) > 0 {
			return
		}
		h := newHarness(t, c)
		h.tick("100")
		if _, err := h.tryEnter("1"); err != nil {
			return // an attached stop above the market: the venue refuses the entry
		}
		h.tick("50")
		if h.m.Position().Size.IsPositive() && !h.m.Protection().Watched && !h.m.Protection().Resting {
			t.Fatalf("open position without protection: %+v", h.m.State())
		}
	})
}
