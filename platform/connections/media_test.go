package connections_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/platform/connections"
)

// TestPublicOnly: in production media are fetched from public addresses only, however
// the name resolved: never loopback, private, link-local (a cloud's metadata
// service), shared or unspecified ones, in IPv4, IPv6 or IPv4 written as IPv6.
func TestPublicOnly(t *testing.T) {
	for addr, public := range map[string]bool{
		"93.184.216.34:443": true, "[2606:2800:220:1::]:443": true,
		"127.0.0.1:80": false, "10.1.2.3:443": false, "172.16.0.9:443": false, "192.168.1.1:443": false,
		"169.254.169.254:80": false, "100.64.0.1:443": false, "0.0.0.0:80": false,
		"[::1]:443": false, "[fc00::1]:443": false, "[fe80::1]:443": false, "[::ffff:127.0.0.1]:80": false,
		"224.0.0.1:80": false, "0.1.2.3:80": false, "192.0.0.192:80": false, "198.18.0.1:80": false, "240.0.0.1:80": false,
		"[64:ff9b::a00:5]:80": false, "[64:ff9b::5db8:d822]:443": true, "[2002:a00:5::1]:80": false, "[::a00:5]:80": false,
		"[fec0::1]:80": false,
	} {
		err := connections.PublicOnly("tcp", addr, nil)
		if (err == nil) != public {
			t.Errorf("%s: %v, want public %v", addr, err, public)
		}
	}
}
