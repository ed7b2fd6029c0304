package coinbase

import "strings"

// unauthorizedCauses are the reasons Coinbase refuses a correctly signed
// request with 401, most likely first; its answer never says which.
var unauthorizedCauses = []string{
	"the key was revoked or deleted: check that it is still listed at https://portal.cdp.coinbase.com/access/api, and create a new one if not",
	"this machine's public IP address is not on the key's IP allow-list: add it to the key (curl -s https://ifconfig.me shows it)",
	"the key is new: Coinbase can take up to 48 hours to activate a key; wait, then check the key again",
	"the key name does not belong to the private key: use the name (organizations/.../apiKeys/...) and the privateKey of the same key file",
	"the key is a legacy API key (API key, secret, passphrase), not a CDP key: create a CDP key (ECDSA or Ed25519) with view and trade permission",
	"the system clock is off: a JWT is valid for two minutes from its start; sync the clock (chrony or systemd-timesyncd)",
}

// UnauthorizedChecklist is what to check, in order, after Coinbase
// answered 401 to this key: revoked or deleted, IP allow-list, a key
// younger than 48 hours, the key name, a legacy key, the clock. The
// daemon shows it when a key is refused at start (tradebot check) and
// when one is refused while trading.
func UnauthorizedChecklist() string {
	var b strings.Builder
	b.WriteString("Coinbase refused the key (HTTP 401) and does not say why. Check, in this order:")
	for i, c := range unauthorizedCauses {
		b.WriteString(" (")
		b.WriteByte(byte('1' + i))
		b.WriteString(") ")
		b.WriteString(c)
		b.WriteString(";")
	}
	s := b.String()
	return s[:len(s)-1] + "."
}
