// Package deploy_test checks the files under deploy/: the alert rules and
// their unit tests, the Prometheus configuration, the Grafana dashboard's
// queries, and that every metric they use is one the daemon exposes. The
// checks that need promtool (Debian package prometheus) skip without it,
// and fail without it under TRADEBOT_REQUIRE_ALL.
package deploy_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
