package connections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// ChannelOption is an installed channel plugin as a workspace admin sees it when
// connecting an account: what it needs (its config schema) and whether the
// workspace's plan lets it be used.
type ChannelOption struct {
	Plugin       string             `json:"plugin"`
	Version      string             `json:"version"`
	Kind         string             `json:"kind"`
	Engines      []string           `json:"engines"`
	Capabilities []sdk.Capability   `json:"capabilities"`
	ConfigSchema json.RawMessage    `json:"config_schema"`
	SendRates    map[string]float64 `json:"send_rates,omitempty" doc:"by engine, the messages a second (SMS: segments) a connection sends at unless it sets its own; absent: no limit"`
	MediaLimits  map[string]int64   `json:"media_limits" doc:"by media class (image, video, audio, document), the largest file in bytes a connection of this channel sends"`
	MediaTypes   []string           `json:"media_types" doc:"the file extensions (of those the platform takes) a connection of this channel sends"`
	Available    bool               `json:"available"`
	Reason       string             `json:"reason,omitempty" doc:"why it cannot be connected, when available is false"`
}

// Channels lists the installed, enabled channel plugins for the workspace.
func (s *Service) Channels(ctx context.Context, sc tenants.Scoped) ([]ChannelOption, error) {
	ws, err := tenants.ByRef(ctx, sc.DB(), sc.WorkspaceID())
	if err != nil {
		return nil, err
	}
	plan, err := tenants.PlanByID(ctx, sc.DB(), ws.PlanID)
	if err != nil {
		return nil, err
	}
	out := []ChannelOption{}
	for _, id := range s.plugins.Installed() {
		d, ok := s.plugins.Describe(id)
		if !ok {
			continue // disabled by the operator
		}
		o := ChannelOption{Plugin: id, Version: d.Version, Kind: d.Kind, Engines: d.Engines, Capabilities: d.Capabilities,
			ConfigSchema: d.ConfigSchema, SendRates: d.SendRates, MediaLimits: map[string]int64{}, MediaTypes: media.Carried(d), Available: true}
		for _, class := range sdk.MediaClasses {
			o.MediaLimits[class] = d.ClassLimit(class, media.MaxBytes)
		}
		if len(plan.Features.Channels) > 0 && !slices.Contains(plan.Features.Channels, id) {
			o.Available, o.Reason = false, fmt.Sprintf("The %s plan does not include this channel", plan.Name)
		}
		out = append(out, o)
	}
	return out, nil
}

// Template is an approved message template of a connection's provider account, as
// its plugin's sync_templates action reports it.
type Template struct {
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Category        string          `json:"category" doc:"marketing, utility or authentication"`
	Status          string          `json:"status"`
	ParameterFormat string          `json:"parameter_format,omitempty" doc:"positional ({{1}}) or named ({{name}})"`
	Body            string          `json:"body,omitempty"`
	Components      json.RawMessage `json:"components" doc:"header, body, footer and buttons as the provider lists them"`
}

// ErrProvider is a provider's refusal to list templates; its message is the
// provider's reason.
var ErrProvider = failure.New(failure.Unavailable, "provider_error", "the provider refused the request")

// providerRefusal is ErrProvider with the plugin's refusal under it, whose class says
// whether asking again may help.
type providerRefusal struct {
	answer  *failure.Error
	refusal *sdk.Error
}

func (r *providerRefusal) Error() string   { return r.answer.Error() }
func (r *providerRefusal) Unwrap() []error { return []error{r.answer, r.refusal} }

// Templates asks the connection's provider for its approved templates. A channel
// without templates has none.
func (s *Service) Templates(ctx context.Context, sc tenants.Scoped, connectionID string) ([]Template, error) {
	conn, err := s.Get(ctx, sc, connectionID)
	if err != nil {
		return nil, err
	}
	d, ok := s.plugins.Describe(conn.PluginID)
	if !ok {
		return nil, failure.New(failure.Unavailable, "plugin_unavailable", fmt.Sprintf("the %s channel plugin is not installed", conn.PluginID))
	}
	if !d.Has(sdk.CapTemplates) {
		return []Template{}, nil
	}
	ch, err := s.plugins.Channel(conn.PluginID)
	if err != nil {
		return nil, failure.New(failure.Unavailable, "plugin_unavailable", fmt.Sprintf("the %s channel plugin is not running: %v", conn.PluginID, err))
	}
	pc, err := s.ForPlugin(conn)
	if err != nil {
		return nil, err
	}
	raw, err := ch.Action(ctx, pc, "sync_templates", nil)
	if err != nil {
		var se *sdk.Error
		if errors.As(err, &se) {
			return nil, &providerRefusal{answer: ErrProvider.WithMessage(fmt.Sprintf("The provider did not list the templates: %s", se.Reason)), refusal: se}
		}
		return nil, err
	}
	var out struct {
		Templates []Template `json:"templates"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("connections: %s sync_templates answered %d bytes that are not {\"templates\": [...]}: %w", conn.PluginID, len(raw), err)
	}
	if out.Templates == nil {
		out.Templates = []Template{}
	}
	return out.Templates, nil
}

// TemplateCounts are the approved templates the workspace may send, by category, as
// Chat's left rail shows them: each template (name and language) once, however many
// of its numbers have it.
type TemplateCounts struct {
	Marketing      int `json:"marketing"`
	Utility        int `json:"utility"`
	Authentication int `json:"authentication"`
	// Unavailable names the connections whose provider did not answer: their
	// templates are not counted.
	Unavailable []string `json:"unavailable" doc:"display names of the connections whose templates could not be listed just now"`
}

// templatesKept is how long a connection's template list is reused for counting:
// the rail is loaded on every visit to Chat, and a provider's template list changes
// when a template is approved, not by the second. A provider that did not answer is
// asked again after failedKept, not at every visit.
const (
	templatesKept = 2 * time.Minute
	failedKept    = 30 * time.Second
	// listingTimeout bounds one provider's answer, so one slow account does not hold
	// up the rail.
	listingTimeout = 10 * time.Second
)

// keptTemplates is what counting needs of a connection's list, and when it was taken.
type keptTemplates struct {
	at, updated time.Time // when listed; the connection's updated_at then
	templates   []counted // nil with failed
	failed      bool
}

type counted struct{ name, language, category string }

// CountTemplates counts the approved templates of the workspace's active connections
// that may lets through, by category. A list is reused for templatesKept unless the
// connection changed since. A plugin that refuses to list templates for good (an
// engine without templates, as WhatsApp through Twilio) has none.
func (s *Service) CountTemplates(ctx context.Context, sc tenants.Scoped, may func(connectionID string) bool) (TemplateCounts, error) {
	out := TemplateCounts{Unavailable: []string{}}
	var conns []Connection
	if err := sc.Select(&conns).Where("c.status = ?", StatusActive).OrderExpr("c.id").Scan(ctx); err != nil {
		return out, err
	}
	seen := map[counted]bool{}
	for _, conn := range conns {
		if d, ok := s.plugins.Describe(conn.PluginID); !ok || !d.Has(sdk.CapTemplates) || !may(conn.ID) {
			continue
		}
		k := s.templatesToCount(ctx, sc, conn)
		if k.failed {
			out.Unavailable = append(out.Unavailable, conn.DisplayName)
			continue
		}
		for _, t := range k.templates {
			key := counted{name: t.name, language: t.language}
			if seen[key] {
				continue
			}
			seen[key] = true
			switch t.category {
			case "marketing":
				out.Marketing++
			case "utility":
				out.Utility++
			case "authentication":
				out.Authentication++
			}
		}
	}
	return out, nil
}

// templatesToCount is the connection's list as counting needs it: kept, or listed again.
func (s *Service) templatesToCount(ctx context.Context, sc tenants.Scoped, conn Connection) keptTemplates {
	now := time.Now()
	if v, ok := s.templates.Load(conn.ID); ok {
		k := v.(keptTemplates)
		kept := templatesKept
		if k.failed {
			kept = failedKept
		}
		if now.Sub(k.at) < kept && k.updated.Equal(conn.UpdatedAt) {
			return k
		}
	}
	k := keptTemplates{at: now, updated: conn.UpdatedAt, templates: []counted{}}
	lctx, cancel := context.WithTimeout(ctx, listingTimeout)
	defer cancel()
	list, err := s.Templates(lctx, sc, conn.ID)
	var se *sdk.Error
	switch {
	case err == nil:
		for _, t := range list {
			k.templates = append(k.templates, counted{name: t.Name, language: t.Language, category: strings.ToLower(t.Category)})
		}
	case errors.As(err, &se) && se.Class == sdk.Permanent:
		// Listed as none: asking again would be refused again.
	default:
		if s.Log != nil {
			s.Log.Warn("templates not counted", "workspace", sc.WorkspaceID(), "connection", conn.ID, "error", err)
		}
		k.failed = true
	}
	s.templates.Store(conn.ID, k)
	return k
}

// Summary is what a conversation shows of its connection to every member, whatever
// their role: which channel and number it runs on, and whether the channel keeps
// free text to a 24-hour window after the customer's last message.
type Summary struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Engine      string `json:"engine"`
	DisplayName string `json:"display_name"`
	Address     string `json:"address"`
	Status      string `json:"status" enum:"active,error,disabled"`
	Window24h   bool   `json:"window_24h" doc:"free text only within 24 hours of the customer's last message; templates otherwise"`
}

// Summaries returns the summaries of the workspace's connections with these ids.
func (s *Service) Summaries(ctx context.Context, sc tenants.Scoped, ids []string) (map[string]Summary, error) {
	out := make(map[string]Summary, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Connection
	if err := sc.Select(&rows).Column("id", "plugin_id", "kind", "engine", "display_name", "address", "status").
		Where("c.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, c := range rows {
		d, _ := s.plugins.Describe(c.PluginID)
		out[c.ID] = Summary{ID: c.ID, Kind: c.Kind, Engine: c.Engine, DisplayName: c.DisplayName, Address: c.Address,
			Status: c.Status, Window24h: d.Has(sdk.CapWindow24h)}
	}
	return out, nil
}
