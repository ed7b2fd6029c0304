//go:build !unix

package marketdata

import "time"

// processCPUTime is not measured here; the benchmarks then report no
// CPU figures.
func processCPUTime() time.Duration { return 0 }
