package backtest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tradebot/tradebot/internal/echo"
)

// Shard is one slice of a sweep's combinations, K of N (from 1): the
// combinations at positions K-1, K-1+N, K-1+2N... of the sweep's list,
// so that every shard gets cheap and dear ones alike. The zero Shard is
// the whole sweep.
type Shard struct{ K, N int }

// ParseShard parses "K/N" with 1 <= K <= N.
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	ki, err1 := strconv.Atoi(strings.TrimSpace(k))
	ni, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || ni < 1 || ki < 1 || ki > ni {
		return Shard{}, fmt.Errorf("%q: want K/N with 1 <= K <= N, such as 2/8", echo.Cut(s))
	}
	return Shard{K: ki, N: ni}, nil
}

// String returns "K/N", or "" for the whole sweep.
func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// slice returns the shard's part of all.
func (s Shard) slice(all []int) []int {
	if s.N <= 1 {
		return all
	}
	var out []int
	for i := s.K - 1; i < len(all); i += s.N {
		out = append(out, all[i])
	}
	return out
}
