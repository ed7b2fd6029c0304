//go:build unix

package journal

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// fileLock is an advisory lock beside the journal that keeps a second
// daemon from trading on the same journal: two writers would each believe
// they own the same orders and counters.
type fileLock struct{ f *os.File }

// lockFile takes an exclusive, non-blocking flock on path. The kernel
// drops it when the process dies, so a crash never leaves a stale lock.
func lockFile(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", path, ErrInUse)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

func (l *fileLock) release() {
	if l == nil || l.f == nil {
		return
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
