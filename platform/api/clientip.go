package api

import (
	"net"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientIP is the address the request came from. Behind hops reverse proxies, each
// proxy appends the address it received the request from to X-Forwarded-For, so the
// client is the entry hops places from the right; anything further left was written
// by the client and cannot be trusted (a fresh fake value per request would otherwise
// dodge the per-IP sign-in throttle).
func clientIP(c *fiber.Ctx, hops int) string {
	remote := c.Context().RemoteIP().String()
	if hops <= 0 {
		return remote
	}
	var entries []string
	for _, h := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		for _, e := range strings.Split(string(h), ",") {
			entries = append(entries, strings.TrimSpace(e))
		}
	}
	if len(entries) < hops {
		// The request did not pass through every proxy: it reached us directly.
		return remote
	}
	if ip := net.ParseIP(entries[len(entries)-hops]); ip != nil {
		return ip.String()
	}
	return remote
}
