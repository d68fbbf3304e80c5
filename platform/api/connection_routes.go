package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/policies"
)

// connectionArea is a workspace's channel connections and the provider webhooks.
type connectionArea struct{ s *Server }

// ConnectionView is a connection with the URL its provider must call.
type ConnectionView struct {
	connections.Connection
	WebhookURL string `json:"webhook_url"`
}

// CreateConnection adds a channel account.
type CreateConnection struct {
	Plugin      string          `json:"plugin" doc:"installed channel plugin id, e.g. whatsapp"`
	Engine      string          `json:"engine" doc:"one of the plugin's engines, e.g. cloud"`
	DisplayName string          `json:"display_name"`
	Address     string          `json:"address" doc:"phone number, email address or page id"`
	Config      json.RawMessage `json:"config" doc:"fields of the plugin's config schema"`
	SendRate    float64         `json:"send_rate,omitempty" doc:"messages a second (SMS: segments) the provider allows this account, when above the channel's default (a raised tier, a short code); 0 or absent: the default"`
}

// UpdateConnection changes a connection; secret config fields left out or sent back
// masked keep their stored values.
type UpdateConnection struct {
	DisplayName *string         `json:"display_name,omitempty"`
	Config      json.RawMessage `json:"config,omitempty"`
	Enabled     *bool           `json:"enabled,omitempty"`
	SendRate    *float64        `json:"send_rate,omitempty" doc:"the connection's own send rate, messages a second; 0 or null: back to the channel's default"`
}

func (a connectionArea) Register(r *Router) {
	p := WorkspacePrefix + "/connections"
	r.Add(Route{Method: http.MethodGet, Path: p, Access: InWorkspace, Permission: policies.ChannelsRead,
		Summary: "Channel connections", Tag: "connections", Query: PageQuery{}, Response: List[ConnectionView]{}}, a.list)
	r.Add(Route{Method: http.MethodPost, Path: p, Access: InWorkspace, Permission: policies.ChannelsManage,
		Summary: "Connect a channel account (the plugin validates the config)", Tag: "connections",
		Request: CreateConnection{}, Response: ConnectionView{}, Status: http.StatusCreated}, a.create)
	r.Add(Route{Method: http.MethodGet, Path: p + "/:connection", Access: InWorkspace, Permission: policies.ChannelsRead,
		Summary: "A connection", Tag: "connections", Response: ConnectionView{}}, a.get)
	r.Add(Route{Method: http.MethodPatch, Path: p + "/:connection", Access: InWorkspace, Permission: policies.ChannelsManage,
		Summary: "Rename, reconfigure, enable or disable a connection", Tag: "connections",
		Request: UpdateConnection{}, Response: ConnectionView{}}, a.update)
	r.Add(Route{Method: http.MethodDelete, Path: p + "/:connection", Access: InWorkspace, Permission: policies.ChannelsManage,
		Summary: "Remove a connection", Tag: "connections", Status: http.StatusNoContent}, a.remove)
	r.Add(Route{Method: http.MethodGet, Path: p + "/:connection/templates", Access: InWorkspace, Permission: policies.TemplatesRead,
		Summary: "The connection's approved message templates, from the provider (empty for a channel without templates)", Tag: "connections",
		Response: List[connections.Template]{}}, a.templates)
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/template-counts", Access: InWorkspace, Permission: policies.TemplatesRead,
		Summary: "The approved templates of the connections the caller's access rule shows, by category (Chat's left rail); lists are reused for up to two minutes",
		Tag:     "connections", Response: connections.TemplateCounts{}}, a.templateCounts)
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/channels", Access: InWorkspace, Permission: policies.ChannelsRead,
		Summary: "The channel plugins the workspace can connect, with their config schemas", Tag: "connections",
		Response: List[connections.ChannelOption]{}}, a.channels)
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		r.Add(Route{Method: m, Path: "/hooks/:connection", Summary: "Provider webhook for a connection (verified by its plugin)", Tag: "webhooks", Raw: true}, a.webhook)
	}
}

func (a connectionArea) view(c connections.Connection) ConnectionView {
	return ConnectionView{Connection: c, WebhookURL: a.s.connections.WebhookURL(c)}
}

func (a connectionArea) list(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	rows, next, err := a.s.connections.List(c.UserContext(), scoped(c, a.s), p)
	if err != nil {
		return err
	}
	views := make([]ConnectionView, len(rows))
	for i, row := range rows {
		views[i] = a.view(row)
	}
	return list(c, views, next)
}

func (a connectionArea) create(c *fiber.Ctx) error {
	var req CreateConnection
	if err := decode(c, &req); err != nil {
		return err
	}
	conn, err := a.s.connections.Create(c.UserContext(), scoped(c, a.s), connections.NewConnection{
		PluginID: req.Plugin, Engine: req.Engine, DisplayName: req.DisplayName, Address: req.Address, Config: req.Config,
		SendRate: req.SendRate,
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(a.view(conn))
}

func (a connectionArea) get(c *fiber.Ctx) error {
	conn, err := a.s.connections.Get(c.UserContext(), scoped(c, a.s), c.Params("connection"))
	if err != nil {
		return err
	}
	return c.JSON(a.view(conn))
}

func (a connectionArea) templateCounts(c *fiber.Ctx) error {
	acc, err := a.s.accessOf(c)
	if err != nil {
		return err
	}
	n, err := a.s.connections.CountTemplates(c.UserContext(), scoped(c, a.s), acc.AllowsConnection)
	if err != nil {
		return err
	}
	return c.JSON(n)
}

func (a connectionArea) templates(c *fiber.Ctx) error {
	ts, err := a.s.connections.Templates(c.UserContext(), scoped(c, a.s), c.Params("connection"))
	if err != nil {
		return err
	}
	return c.JSON(List[connections.Template]{Items: ts})
}

func (a connectionArea) channels(c *fiber.Ctx) error {
	cs, err := a.s.connections.Channels(c.UserContext(), scoped(c, a.s))
	if err != nil {
		return err
	}
	return c.JSON(List[connections.ChannelOption]{Items: cs})
}

func (a connectionArea) update(c *fiber.Ctx) error {
	var req UpdateConnection
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.SendRate == nil && sendRateCleared(c.Body()) {
		req.SendRate = new(float64) // null is how the API shows the default: sending it back resets to it
	}
	conn, err := a.s.connections.Update(c.UserContext(), scoped(c, a.s), c.Params("connection"),
		connections.Update{DisplayName: req.DisplayName, Config: req.Config, Enabled: req.Enabled, SendRate: req.SendRate})
	if err != nil {
		return err
	}
	return c.JSON(a.view(conn))
}

func (a connectionArea) remove(c *fiber.Ctx) error {
	if err := a.s.connections.Delete(c.UserContext(), scoped(c, a.s), c.Params("connection")); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// webhook passes the raw provider request to the connection's plugin. The URL given
// to the plugin is the public one the provider signed (Twilio signs the full URL).
func (a connectionArea) webhook(c *fiber.Ctx) error {
	headers := map[string][]string{}
	c.Request().Header.VisitAll(func(k, v []byte) {
		headers[string(k)] = append(headers[string(k)], string(v))
	})
	url := a.s.cfg.BaseURL() + string(c.Request().URI().RequestURI())
	resp, err := a.s.connections.Webhook(c.UserContext(), a.s.db, c.Params("connection"),
		sdk.WebhookRequest{Method: c.Method(), URL: url, Headers: headers, Body: c.Body()}, a.s.events)
	if err != nil {
		return err
	}
	for k, v := range resp.Headers {
		c.Set(k, v)
	}
	return c.Status(resp.Status).Send(resp.Body)
}

// sendRateCleared reports whether a PATCH body sets send_rate to null, which decoding
// into a pointer cannot tell from leaving it out.
func sendRateCleared(body []byte) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return false
	}
	v, ok := fields["send_rate"]
	return ok && string(bytes.TrimSpace(v)) == "null"
}
