package journal

import (
	"fmt"
	"sync"
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

// TestInstancesWritingConcurrentlyNeverShareAnID runs the order path of
// several strategy instances at once, as the engine's instance goroutines
// do, and checks every id is unique and every write landed.
func TestInstancesWritingConcurrentlyNeverShareAnID(t *testing.T) {
	j := openTemp(t)
	const instances, orders = 4, 40
	var wg sync.WaitGroup
	errs := make(chan error, instances)
	for i := range instances {
		inst := fmt.Sprintf("inst%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range orders {
				n, err := j.NextClientOrderSeq(inst)
				if err != nil {
					errs <- err
					return
				}
				id := fmt.Sprintf("%s-%d", inst, n)
				if err := j.RecordIntent(intent(inst, id)); err != nil {
					errs <- err
					return
				}
				err = j.Batch(func(b *Batch) error {
					if _, err := b.RecordFill(inst, fill("t-"+id, t0)); err != nil {
						return err
					}
					return b.UpdateOrder(id, exchange.Order{ID: "v-" + id, Status: exchange.StatusFilled, FilledSize: d("1")})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, err := j.Orders(OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	fills, err := j.Fills(t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != instances*orders || len(fills) != instances*orders {
		t.Fatalf("%d orders and %d fills, want %d of each", len(all), len(fills), instances*orders)
	}
	if open, _ := j.InFlight(); len(open) != 0 {
		t.Fatalf("%d orders still in flight", len(open))
	}
}
