package daemon

// SyncBuffer is syncBuffer for the tests of package daemon_test, which
// run the daemon with the command line's health check (package cli
// imports daemon).
type SyncBuffer = syncBuffer
