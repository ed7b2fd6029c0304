package daemon

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/notify"
)

// droppedCount reads tradebot_notifications_dropped_total from d's registry.
func droppedCount(t *testing.T, d *daemon) float64 {
	t.Helper()
	fams, err := d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "tradebot_notifications_dropped_total" {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("the registry has no tradebot_notifications_dropped_total")
	return 0
}

// warnLines counts the log's WARN lines about dropped notifications.
func warnLines(log string) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, `"level":"WARN"`) && strings.Contains(l, "notifications dropped") {
			n++
		}
	}
	return n
}

func TestNotificationsDroppedByAFullQueueAreCountedAndLoggedOnce(t *testing.T) {
	// A webhook that takes the first event and never answers: the queue
	// behind it fills.
	got := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	var log syncBuffer
	cfg := exampleConfig(t, func(c *config.Config) { c.Notify.WebhookURL = config.Secret(srv.URL + "/hook") })
	d := newDaemon(Options{Config: cfg, Log: slog.New(slog.NewJSONHandler(&log, nil))})
	if err := d.createMetrics(); err != nil {
		t.Fatal(err)
	}
	if err := d.createNotifier(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.notifier.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()

	ev := notify.ErrorEvent("a test event")
	if !d.notifier.Notify(ev) {
		t.Fatal("the first event was not queued")
	}
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook never received the first event")
	}
	// The first event is in flight, held by the server: the queue takes
	// DefaultQueueSize more, and drops the rest.
	const extra = 7
	dropped := 0
	for range notify.DefaultQueueSize + extra {
		if !d.notifier.Notify(ev) {
			dropped++
		}
	}
	if dropped != extra {
		t.Fatalf("%d events dropped, want %d", dropped, extra)
	}
	if n := droppedCount(t, d); n != extra {
		t.Errorf("tradebot_notifications_dropped_total = %v, want %d", n, extra)
	}
	if n := warnLines(log.String()); n != 1 {
		t.Errorf("%d WARN lines about dropped notifications, want 1 for a burst:\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), `"dropped":1`) || !strings.Contains(log.String(), `"kind":"error"`) {
		t.Errorf("the WARN line does not say how many were dropped of which kind:\n%s", log.String())
	}
}

func TestDroppedNotificationsAreLoggedAtMostOnceAMinute(t *testing.T) {
	reg := metrics.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	w := &dropWarner{m: m, log: slog.New(slog.NewJSONHandler(&log, nil)), now: func() time.Time { return now }}
	ev := notify.ErrorEvent("x")
	for range 5 {
		w.dropped(ev)
		now = now.Add(10 * time.Second)
	}
	// 40 s after the first line: still one.
	if n := warnLines(log.String()); n != 1 {
		t.Fatalf("%d WARN lines within a minute, want 1:\n%s", n, log.String())
	}
	now = now.Add(20 * time.Second)
	w.dropped(ev)
	if n := warnLines(log.String()); n != 2 {
		t.Fatalf("%d WARN lines a minute after the first, want 2:\n%s", n, log.String())
	}
	// The second line counts the four drops it had not logged, and itself.
	if !strings.Contains(log.String(), `"dropped":5`) {
		t.Errorf("the second line does not count the drops since the first:\n%s", log.String())
	}
}
