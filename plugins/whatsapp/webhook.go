package whatsapp

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// MaxWebhookBody is the largest webhook body accepted (larger ones get 413).
const MaxWebhookBody = 1 << 20

// HandleWebhook answers a provider's request for conn's engine: the cloud verify
// handshake (GET), or a signed POST whose events it returns. A missing or forged
// signature gets 401 and no events, a malformed body 400, a body over 1 MiB 413.
// Events derive only from the body (and the connection's config), so a replayed
// request yields the same events. A signed Cloud request may also carry changes for
// the Meta app's other numbers (the app has one webhook URL for all of them): their
// events are not returned, their display numbers are, in OtherAddresses, for the host
// to offer the request to their connections.
func (c *Channel) HandleWebhook(_ context.Context, conn sdk.Connection, req sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event, error) {
	if conn.Engine != EngineCloud && conn.Engine != EngineTwilio {
		return reply(http.StatusNotFound, "unknown engine"), nil, unknownEngine(conn.Engine)
	}
	if len(req.Body) > MaxWebhookBody {
		return reply(http.StatusRequestEntityTooLarge, "body too large"), nil, nil
	}
	cfg, err := decodeConfig(conn.Config)
	if err != nil {
		return reply(http.StatusInternalServerError, "connection config unreadable"), nil,
			sdk.Errorf(sdk.AuthFailed, CodeInvalidConfig, "invalid connection config: %v", err)
	}
	cfg.APIBaseURL = strings.TrimRight(cfg.APIBaseURL, "/")
	if conn.Engine == EngineCloud {
		if cfg.APIBaseURL == "" {
			cfg.APIBaseURL = DefaultCloudBaseURL
		}
		if cfg.APIVersion == "" {
			cfg.APIVersion = DefaultAPIVersion
		}
		resp, events := handleCloudWebhook(cfg, conn.Address, req)
		return resp, events, nil
	}
	resp, events := handleTwilioWebhook(cfg, req)
	return resp, events, nil
}

func reply(status int, problem string) sdk.WebhookResponse {
	body := []byte(`{"ok":true}`)
	if problem != "" {
		body, _ = json.Marshal(map[string]string{"error": problem})
	}
	return sdk.WebhookResponse{Status: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: body}
}

// header returns the first value of name, matched case-insensitively (the host may
// pass canonical or lowercase names).
func header(h map[string][]string, name string) (string, bool) {
	if v, ok := h[name]; ok && len(v) > 0 {
		return v[0], true
	}
	// Several spellings of one name: take the first in sorted order, so the answer
	// does not depend on map iteration.
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if strings.EqualFold(k, name) && len(h[k]) > 0 {
			return h[k][0], true
		}
	}
	return "", false
}
