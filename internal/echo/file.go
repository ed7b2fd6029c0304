package echo

import (
	"errors"
	"io/fs"
)

// FileReason says in words why a path could not be read, without the
// path, which the message quotes once already (cut): os's errors quote it
// whole, and name the call that failed ("stat", "open").
func FileReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
