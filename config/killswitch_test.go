package config

import (
	"strings"
	"testing"

	"github.com/tradebot/tradebot"
)

func TestKillSwitchHostNamesAreCheckedOneByOne(t *testing.T) {
	base, err := Load("config.example.yaml", tradebot.ExampleConfig, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	base.KillSwitch.HostNames = []string{"bot.example.com", "https://bot.example.com", "bot.example.com:9464", "ok-name.internal", strings.Repeat("x", 300)}
	errs := base.Validate()
	var got []string
	for _, e := range errs {
		if strings.HasPrefix(e.Error(), "kill_switch.host_names") {
			got = append(got, e.Error())
		}
	}
	if len(got) != 3 {
		t.Fatalf("got %d host_names problems, want 3 (scheme, port, too long): %q", len(got), got)
	}
	for i, want := range []string{"[1]", "[2]", "[4]"} {
		if !strings.HasPrefix(got[i], "kill_switch.host_names"+want) {
			t.Errorf("problem %d = %q, want it to name kill_switch.host_names%s", i, got[i], want)
		}
		if len(got[i]) > 200 {
			t.Errorf("problem %d echoes %d bytes: the value should be cut", i, len(got[i]))
		}
	}
}
