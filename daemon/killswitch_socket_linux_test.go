//go:build linux

package daemon

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tradebot/tradebot/config"
)

// TestKillSwitchSocketAppearsWithItsModeAlreadySet: the socket used to be
// bound at its path, with the umask's mode, and set to 0600 after, so that
// another user could connect in between, and the connection waited in the
// backlog to be served: a resume queued at start-up. The socket now
// appears at its path by a rename, 0600 already. The test watches the
// directory with inotify: the socket's name must arrive by a move (not a
// create) and be 0600 when it does, under a umask that would leave it
// open to everyone; nothing else may be left in the directory.
func TestKillSwitchSocketAppearsWithItsModeAlreadySet(t *testing.T) {
	old := unix.Umask(0)
	defer unix.Umask(old)
	socket := socketPath(t)
	dir := filepath.Dir(socket)
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO); err != nil {
		t.Fatal(err)
	}
	run := startDaemon(t, busyExample(t, 1, func(c *config.Config) { c.KillSwitch.Socket = socket }))

	var mask uint32
	buf := make([]byte, 64*1024)
	for mask == 0 {
		n, err := unix.Read(fd, buf) // the socket exists once the daemon is ready
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			if string(bytes.TrimRight(name, "\x00")) == filepath.Base(socket) {
				mask = ev.Mask
				break
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
	}
	if mask&unix.IN_MOVED_TO == 0 {
		t.Errorf("the socket was created at its path (inotify mask %#x), not moved there with its mode set", mask)
	}
	st, err := os.Lstat(socket)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", st.Mode())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 {
		t.Errorf("the socket's directory holds %s, want only %s", strings.Join(names, ", "), filepath.Base(socket))
	}
	run.stop()
	if _, err := os.Lstat(socket); !os.IsNotExist(err) {
		t.Errorf("the socket is still there after the stop: %v", err)
	}
}

// TestKillSwitchSocketPathTooLongIsNamed: a path the socket cannot be
// bound to or reached at (sun_path's 108 bytes) stops the start with the
// setting and the limit, not with "bind: invalid argument", nor with a
// socket renamed to a path no client can connect to. The directory the
// socket is first bound in counts too.
func TestKillSwitchSocketPathTooLongIsNamed(t *testing.T) {
	// The temporary directory's name has a random number of 1 to 10
	// digits: the long path's length is counted, not assumed.
	base := filepath.Dir(socketPath(t))
	deep := filepath.Join(base, strings.Repeat("d", 95-len(base)-1))
	if err := os.Mkdir(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(base, strings.Repeat("k", 100)+".sock")
	for _, c := range []struct{ path, want string }{
		{long, fmt.Sprintf("too long for a Unix socket (%d bytes; at most 107)", len(long))},
		{filepath.Join(deep, "c.sock"), "at most 98 bytes in this directory"},
	} {
		cfg := busyExample(t, 1, func(cf *config.Config) { cf.KillSwitch.Socket = c.path })
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		log := &syncBuffer{}
		err := Run(ctx, Options{Config: cfg, Log: NewLogger(log, "json", "info"), Version: "test"})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "kill_switch.socket") || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("start with a %d-byte socket path: %v, want a refusal naming kill_switch.socket and %q\n%s", len(c.path), err, c.want, log.String())
		}
		if _, err := os.Lstat(c.path); !os.IsNotExist(err) {
			t.Errorf("something was left at the socket's path: %v", err)
		}
	}
	for _, dir := range []string{base, deep} {
		if entries, _ := os.ReadDir(dir); len(entries) > 1 || (dir == deep && len(entries) > 0) {
			t.Errorf("%s holds %d entries after the refusals", dir, len(entries))
		}
	}
}
