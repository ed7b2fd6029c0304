package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/exporter-toolkit/web"
	"github.com/tradebot/tradebot/internal/echo"
	"go.yaml.in/yaml/v2"
)

// CheckListenAddress refuses what net.Listen would: anything but
// host:port with a port number (the host may be empty: every interface).
// Empty is the default address. It checks web.listen_address and the run
// command's --web.listen-address alike; the message quotes the address,
// cut.
func CheckListenAddress(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:9464)", echo.Cut(addr))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: the port must be a number from 0 to 65535", echo.Cut(addr))
	}
	return nil
}

// CheckWebConfigFile says why the exporter-toolkit would refuse the web
// configuration file at path (TLS and basic auth), in the words of the
// file rather than of the toolkit's Go types, and without the path, which
// the caller names with its field or flag. It checks web.config_file and
// the run command's --web.config.file alike.
func CheckWebConfigFile(path string) error {
	err := web.Validate(path)
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return errors.New(echo.FileReason(err))
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return errors.New(echo.Cut(goTypes().ReplaceAllString(strings.Join(te.Errors, "; "), "")))
	}
	return errors.New(echo.Cut(goTypes().ReplaceAllString(err.Error(), "")))
}

// goTypes matches the Go type a YAML decoding error names ("field x not
// found in type web.Config", "cannot unmarshal !!str into
// web.TLSVersion"), which means nothing to the file's author. Compiled
// at first use (see instanceName).
var goTypes = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(` (in type|into) [*\[\]]*[a-z]+\.[A-Za-z]+`) })
