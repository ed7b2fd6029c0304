//go:build !unix

package journal

// fileLock does nothing where flock is unavailable; tradebot's supported
// platforms are Linux and macOS, where lock_unix.go applies.
type fileLock struct{}

func lockFile(string) (*fileLock, error) { return &fileLock{}, nil }

func (*fileLock) release() {}
