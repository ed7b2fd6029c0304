package metrics

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v2"
)

// readWebConfig reads an exporter-toolkit web configuration file with the
// toolkit's own types and defaults (TLS 1.2 to 1.3, HTTP/2 on), so that
// the file means what the toolkit's documentation says. The server reads
// it again for every request and TLS handshake, as the toolkit does, so
// that new users and renewed certificates apply without a restart.
func readWebConfig(path string) (*web.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &web.Config{
		TLSConfig:  web.TLSConfig{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13},
		HTTPConfig: web.HTTPConfig{HTTP2: true},
	}
	if err := yaml.UnmarshalStrict(b, c); err != nil {
		return nil, err
	}
	c.TLSConfig.SetDirectory(filepath.Dir(path))
	return c, nil
}

// serveWebConfig serves s.server on s.listener as the web configuration
// file says: TLS (certificates reloaded on each handshake), and basic auth
// through the authGate Listen put in front of the handler, whose copy of
// the file it reads. It replaces the toolkit's web.Serve only for the
// authentication, which the toolkit checks one bcrypt at a time in arrival
// order, so that a flood of wrong passwords would queue the operator's
// kill switch behind it (see authGate).
func (s *Server) serveWebConfig(path string) error {
	c, err := s.gate.config()
	if err != nil {
		return fmt.Errorf("web config file %s: %w", path, err)
	}
	if !c.TLSConfig.IsEnabled() {
		s.log.Info("serving HTTP without TLS", "address", s.listener.Addr().String())
		return s.server.Serve(s.listener)
	}
	tc, err := web.ConfigToTLSConfig(&c.TLSConfig)
	if err != nil {
		return fmt.Errorf("web config file %s: %w", path, err)
	}
	protos := []string{"http/1.1"}
	if c.HTTPConfig.HTTP2 {
		protos = []string{"h2", "http/1.1"}
	} else {
		s.server.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	tc.NextProtos = protos
	tc.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c, err := readWebConfig(path)
		if err != nil {
			return nil, err
		}
		t, err := web.ConfigToTLSConfig(&c.TLSConfig)
		if err != nil {
			return nil, err
		}
		t.NextProtos = protos
		return t, nil
	}
	s.server.TLSConfig = tc
	s.log.Info("serving HTTPS", "address", s.listener.Addr().String(), "http2", c.HTTPConfig.HTTP2)
	return s.server.ServeTLS(s.listener, "", "")
}

// clientPrefix is the network a request comes from, for the per-client
// limits: the IPv4 address, or the /64 of an IPv6 address (one host's
// share of a typical allocation).
func clientPrefix(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String()
}
