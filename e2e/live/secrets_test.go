package live

import (
	"strings"
	"testing"
)

// assertNoSecrets fails the test when any text holds the emulator key's
// private key, a line of its PEM body, or any JWT the emulator saw. texts
// are named ("stderr", "/metrics") so a failure says where the leak is.
func assertNoSecrets(t *testing.T, e *emu, texts map[string]string) {
	t.Helper()
	secrets := map[string]string{"private key PEM": strings.TrimSpace(e.kf.PrivateKey)}
	for i, line := range strings.Split(e.kf.PrivateKey, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "-----") {
			continue
		}
		secrets["PEM body line "+itoa(i)] = line
	}
	jwts := e.JWTs()
	if len(jwts) == 0 {
		t.Fatal("the emulator recorded no JWT: the run did not authenticate, so the search proves nothing")
	}
	for i, j := range jwts {
		secrets["JWT "+itoa(i)] = j
		// The signature alone identifies the token too.
		if k := strings.LastIndexByte(j, '.'); k > 0 && len(j)-k > 20 {
			secrets["JWT signature "+itoa(i)] = j[k+1:]
		}
	}
	for where, text := range texts {
		if text == "" {
			t.Errorf("%s is empty: nothing was searched", where)
		}
		for what, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains the %s", where, what)
			}
		}
	}
	t.Logf("searched %d texts for %d secrets (%d JWTs)", len(texts), len(secrets), len(jwts))
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
