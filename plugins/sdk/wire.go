package sdk

import (
	"encoding/json"
	"errors"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	channelpb "github.com/switchboardhq/switchboard/plugins/sdk/proto"
)

// Conversions between the Go types of channel.go and the generated protocol messages.
// Empty and nil slices, maps and JSON travel alike and arrive as nil; a zero time.Time
// travels as an unset timestamp and arrives as the zero time.

// errorToProto classifies err for the wire: an *Error (possibly wrapped) keeps its class,
// code, reason and retry-after; anything else becomes Transient with its message.
func errorToProto(err error) *channelpb.Error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) || e == nil {
		return &channelpb.Error{Class: string(Transient), Reason: err.Error()}
	}
	class := e.Class
	if class == "" {
		class = Transient
	}
	return &channelpb.Error{
		Class:        string(class),
		Code:         e.Code,
		Reason:       e.Reason,
		RetryAfterMs: durationToMillis(e.RetryAfter),
	}
}

// errorFromProto is the inverse of errorToProto; a class this SDK does not know is
// Transient.
func errorFromProto(e *channelpb.Error) error {
	if e == nil {
		return nil
	}
	class := ErrorClass(e.GetClass())
	switch class {
	case Transient, RateLimited, Permanent, AuthFailed:
	default:
		class = Transient
	}
	return &Error{
		Class:      class,
		Code:       e.GetCode(),
		Reason:     e.GetReason(),
		RetryAfter: time.Duration(e.GetRetryAfterMs()) * time.Millisecond,
	}
}

// durationToMillis rounds up, so a positive retry-after never becomes "no wait".
func durationToMillis(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

func timeToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeFromProto(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func rawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

func bytesOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func stringsOrNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func descriptionToProto(d Description) *channelpb.Description {
	caps := make([]string, len(d.Capabilities))
	for i, c := range d.Capabilities {
		caps[i] = string(c)
	}
	return &channelpb.Description{
		Id:           d.ID,
		Version:      d.Version,
		Kind:         d.Kind,
		Engines:      d.Engines,
		Capabilities: caps,
		ConfigSchema: d.ConfigSchema,
		SendRates:    d.SendRates,
		MediaLimits:  d.MediaLimits,
		MediaTypes:   d.MediaTypes,
	}
}

func descriptionFromProto(d *channelpb.Description) Description {
	var caps []Capability
	for _, c := range d.GetCapabilities() {
		caps = append(caps, Capability(c))
	}
	return Description{
		ID:           d.GetId(),
		Version:      d.GetVersion(),
		Kind:         d.GetKind(),
		Engines:      stringsOrNil(d.GetEngines()),
		Capabilities: caps,
		ConfigSchema: rawJSON(d.GetConfigSchema()),
		SendRates:    mapOrNil(d.GetSendRates()),
		MediaLimits:  mapOrNil(d.GetMediaLimits()),
		MediaTypes:   stringsOrNil(d.GetMediaTypes()),
	}
}

func mapOrNil[K comparable, V any](m map[K]V) map[K]V {
	if len(m) == 0 {
		return nil
	}
	return m
}

func connectionToProto(c Connection) *channelpb.Connection {
	return &channelpb.Connection{
		Id:          c.ID,
		WorkspaceId: c.WorkspaceID,
		Engine:      c.Engine,
		Address:     c.Address,
		Config:      c.Config,
		WebhookUrl:  c.WebhookURL,
	}
}

func connectionFromProto(c *channelpb.Connection) Connection {
	return Connection{
		ID:          c.GetId(),
		WorkspaceID: c.GetWorkspaceId(),
		Engine:      c.GetEngine(),
		Address:     c.GetAddress(),
		Config:      rawJSON(c.GetConfig()),
		WebhookURL:  c.GetWebhookUrl(),
	}
}

func fieldErrorsToProto(fes []FieldError) []*channelpb.FieldError {
	var out []*channelpb.FieldError
	for _, fe := range fes {
		out = append(out, &channelpb.FieldError{Field: fe.Field, Message: fe.Message})
	}
	return out
}

func fieldErrorsFromProto(fes []*channelpb.FieldError) []FieldError {
	var out []FieldError
	for _, fe := range fes {
		out = append(out, FieldError{Field: fe.GetField(), Message: fe.GetMessage()})
	}
	return out
}

func mediaToProto(m *Media) *channelpb.Media {
	if m == nil {
		return nil
	}
	return &channelpb.Media{Url: m.URL, MimeType: m.MIMEType, Filename: m.Filename, Caption: m.Caption}
}

func mediaFromProto(m *channelpb.Media) *Media {
	if m == nil {
		return nil
	}
	return &Media{URL: m.GetUrl(), MIMEType: m.GetMimeType(), Filename: m.GetFilename(), Caption: m.GetCaption()}
}

func locationToProto(l *Location) *channelpb.Location {
	if l == nil {
		return nil
	}
	return &channelpb.Location{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
}

func locationFromProto(l *channelpb.Location) *Location {
	if l == nil {
		return nil
	}
	return &Location{Latitude: l.GetLatitude(), Longitude: l.GetLongitude(), Name: l.GetName(), Address: l.GetAddress()}
}

func templateToProto(t *Template) *channelpb.Template {
	if t == nil {
		return nil
	}
	return &channelpb.Template{
		Name:        t.Name,
		Language:    t.Language,
		Body:        t.Body,
		Named:       t.Named,
		HeaderUrl:   t.HeaderURL,
		HeaderText:  t.HeaderText,
		HeaderParam: t.HeaderParam,
		ButtonUrls:  t.ButtonURLs,
		CopyCode:    t.CopyCode,
	}
}

func templateFromProto(t *channelpb.Template) *Template {
	if t == nil {
		return nil
	}
	named := t.GetNamed()
	if len(named) == 0 {
		named = nil
	}
	return &Template{
		Name:        t.GetName(),
		Language:    t.GetLanguage(),
		Body:        stringsOrNil(t.GetBody()),
		Named:       named,
		HeaderURL:   t.GetHeaderUrl(),
		HeaderText:  t.GetHeaderText(),
		HeaderParam: t.GetHeaderParam(),
		ButtonURLs:  stringsOrNil(t.GetButtonUrls()),
		CopyCode:    t.GetCopyCode(),
	}
}

func reactionToProto(r *Reaction) *channelpb.Reaction {
	if r == nil {
		return nil
	}
	return &channelpb.Reaction{ProviderMessageId: r.ProviderMessageID, Emoji: r.Emoji}
}

func reactionFromProto(r *channelpb.Reaction) *Reaction {
	if r == nil {
		return nil
	}
	return &Reaction{ProviderMessageID: r.GetProviderMessageId(), Emoji: r.GetEmoji()}
}

func pinToProto(p *Pin) *channelpb.Pin {
	if p == nil {
		return nil
	}
	return &channelpb.Pin{ProviderMessageId: p.ProviderMessageID, Pinned: p.Pinned}
}

func pinFromProto(p *channelpb.Pin) *Pin {
	if p == nil {
		return nil
	}
	return &Pin{ProviderMessageID: p.GetProviderMessageId(), Pinned: p.GetPinned()}
}

func outboundToProto(m OutboundMessage) *channelpb.OutboundMessage {
	return &channelpb.OutboundMessage{
		Id:       m.ID,
		To:       m.To,
		Type:     string(m.Type),
		Text:     m.Text,
		Subject:  m.Subject,
		Media:    mediaToProto(m.Media),
		Location: locationToProto(m.Location),
		Template: templateToProto(m.Template),
		Reaction: reactionToProto(m.Reaction),
		Pin:      pinToProto(m.Pin),
		ReplyTo:  m.ReplyTo,
	}
}

func outboundFromProto(m *channelpb.OutboundMessage) OutboundMessage {
	return OutboundMessage{
		ID:       m.GetId(),
		To:       m.GetTo(),
		Type:     MessageType(m.GetType()),
		Text:     m.GetText(),
		Subject:  m.GetSubject(),
		Media:    mediaFromProto(m.GetMedia()),
		Location: locationFromProto(m.GetLocation()),
		Template: templateFromProto(m.GetTemplate()),
		Reaction: reactionFromProto(m.GetReaction()),
		Pin:      pinFromProto(m.GetPin()),
		ReplyTo:  m.GetReplyTo(),
	}
}

func webhookRequestToProto(r WebhookRequest) *channelpb.WebhookRequest {
	var headers map[string]*channelpb.HeaderValues
	if len(r.Headers) > 0 {
		headers = make(map[string]*channelpb.HeaderValues, len(r.Headers))
		for k, v := range r.Headers {
			headers[k] = &channelpb.HeaderValues{Values: v}
		}
	}
	return &channelpb.WebhookRequest{Method: r.Method, Url: r.URL, Headers: headers, Body: r.Body}
}

func webhookRequestFromProto(r *channelpb.WebhookRequest) WebhookRequest {
	var headers map[string][]string
	if len(r.GetHeaders()) > 0 {
		headers = make(map[string][]string, len(r.GetHeaders()))
		for k, v := range r.GetHeaders() {
			headers[k] = stringsOrNil(v.GetValues())
		}
	}
	return WebhookRequest{Method: r.GetMethod(), URL: r.GetUrl(), Headers: headers, Body: bytesOrNil(r.GetBody())}
}

func webhookResponseToProto(r WebhookResponse) *channelpb.WebhookResponse {
	return &channelpb.WebhookResponse{Status: int32(r.Status), Headers: r.Headers, Body: r.Body, OtherAddresses: r.OtherAddresses}
}

func webhookResponseFromProto(r *channelpb.WebhookResponse) WebhookResponse {
	headers := r.GetHeaders()
	if len(headers) == 0 {
		headers = nil
	}
	return WebhookResponse{
		Status:         int(r.GetStatus()),
		Headers:        headers,
		Body:           bytesOrNil(r.GetBody()),
		OtherAddresses: stringsOrNil(r.GetOtherAddresses()),
	}
}

func eventToProto(e Event) *channelpb.Event {
	out := &channelpb.Event{Type: string(e.Type), ConnectionId: e.ConnectionID, Raw: e.Raw}
	if m := e.Message; m != nil {
		out.Message = &channelpb.InboundMessage{
			ProviderMessageId: m.ProviderMessageID,
			From:              m.From,
			To:                m.To,
			Type:              m.Type,
			Text:              m.Text,
			Subject:           m.Subject,
			Media:             mediaToProto(m.Media),
			Location:          locationToProto(m.Location),
			ReplyTo:           m.ReplyTo,
			Timestamp:         timeToProto(m.Timestamp),
		}
	}
	if s := e.Status; s != nil {
		out.Status = &channelpb.StatusUpdate{
			ProviderMessageId: s.ProviderMessageID,
			Status:            s.Status,
			Timestamp:         timeToProto(s.Timestamp),
			ErrorCode:         s.ErrorCode,
			ErrorReason:       s.ErrorReason,
			Recipient:         s.Recipient,
		}
	}
	if c := e.Contact; c != nil {
		out.Contact = &channelpb.Contact{Address: c.Address, Name: c.Name}
	}
	return out
}

func eventFromProto(e *channelpb.Event) Event {
	out := Event{Type: EventType(e.GetType()), ConnectionID: e.GetConnectionId(), Raw: rawJSON(e.GetRaw())}
	if m := e.GetMessage(); m != nil {
		out.Message = &InboundMessage{
			ProviderMessageID: m.GetProviderMessageId(),
			From:              m.GetFrom(),
			To:                m.GetTo(),
			Type:              m.GetType(),
			Text:              m.GetText(),
			Subject:           m.GetSubject(),
			Media:             mediaFromProto(m.GetMedia()),
			Location:          locationFromProto(m.GetLocation()),
			ReplyTo:           m.GetReplyTo(),
			Timestamp:         timeFromProto(m.GetTimestamp()),
		}
	}
	if s := e.GetStatus(); s != nil {
		out.Status = &StatusUpdate{
			ProviderMessageID: s.GetProviderMessageId(),
			Status:            s.GetStatus(),
			Timestamp:         timeFromProto(s.GetTimestamp()),
			ErrorCode:         s.GetErrorCode(),
			ErrorReason:       s.GetErrorReason(),
			Recipient:         s.GetRecipient(),
		}
	}
	if c := e.GetContact(); c != nil {
		out.Contact = &Contact{Address: c.GetAddress(), Name: c.GetName()}
	}
	return out
}

func eventsToProto(es []Event) []*channelpb.Event {
	var out []*channelpb.Event
	for _, e := range es {
		out = append(out, eventToProto(e))
	}
	return out
}

func eventsFromProto(es []*channelpb.Event) []Event {
	var out []Event
	for _, e := range es {
		out = append(out, eventFromProto(e))
	}
	return out
}
