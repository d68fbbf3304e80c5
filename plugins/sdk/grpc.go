package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	channelpb "github.com/switchboardhq/switchboard/plugins/sdk/proto"
)

// grpcServer runs in the plugin process: it serves the protocol by calling the
// plugin's Channel. Plugin errors go back inside the responses, classified; the gRPC
// call itself always succeeds once the implementation has been called.
type grpcServer struct {
	channelpb.UnimplementedChannelServer
	impl Channel
}

func (s *grpcServer) Describe(ctx context.Context, _ *channelpb.DescribeRequest) (*channelpb.DescribeResponse, error) {
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return &channelpb.DescribeResponse{Error: errorToProto(err)}, nil
	}
	return &channelpb.DescribeResponse{Description: descriptionToProto(d)}, nil
}

func (s *grpcServer) ValidateConfig(ctx context.Context, req *channelpb.ValidateConfigRequest) (*channelpb.ValidateConfigResponse, error) {
	fes, err := s.impl.ValidateConfig(ctx, req.GetEngine(), rawJSON(req.GetConfig()))
	return &channelpb.ValidateConfigResponse{FieldErrors: fieldErrorsToProto(fes), Error: errorToProto(err)}, nil
}

func (s *grpcServer) Send(ctx context.Context, req *channelpb.SendRequest) (*channelpb.SendResponse, error) {
	res, err := s.impl.Send(ctx, connectionFromProto(req.GetConnection()), outboundFromProto(req.GetMessage()))
	if err != nil {
		return &channelpb.SendResponse{Error: errorToProto(err)}, nil
	}
	return &channelpb.SendResponse{Result: &channelpb.SendResult{
		ProviderMessageId: res.ProviderMessageID,
		Segments:          int64(res.Segments),
		RecipientAddress:  res.RecipientAddress,
	}}, nil
}

func (s *grpcServer) HandleWebhook(ctx context.Context, req *channelpb.HandleWebhookRequest) (*channelpb.HandleWebhookResponse, error) {
	resp, events, err := s.impl.HandleWebhook(ctx, connectionFromProto(req.GetConnection()), webhookRequestFromProto(req.GetRequest()))
	return &channelpb.HandleWebhookResponse{
		Response: webhookResponseToProto(resp),
		Events:   eventsToProto(events),
		Error:    errorToProto(err),
	}, nil
}

func (s *grpcServer) OpenSession(ctx context.Context, req *channelpb.OpenSessionRequest) (*channelpb.OpenSessionResponse, error) {
	err := s.impl.OpenSession(ctx, connectionFromProto(req.GetConnection()))
	return &channelpb.OpenSessionResponse{Error: errorToProto(err)}, nil
}

func (s *grpcServer) CloseSession(ctx context.Context, req *channelpb.CloseSessionRequest) (*channelpb.CloseSessionResponse, error) {
	err := s.impl.CloseSession(ctx, req.GetConnectionId())
	return &channelpb.CloseSessionResponse{Error: errorToProto(err)}, nil
}

func (s *grpcServer) Events(_ *channelpb.EventsRequest, stream channelpb.Channel_EventsServer) error {
	ctx := stream.Context()
	var mu sync.Mutex // a plugin may emit from several goroutines; Send may not
	err := s.impl.Events(ctx, func(e Event) error {
		mu.Lock()
		defer mu.Unlock()
		return stream.Send(&channelpb.EventsResponse{Event: eventToProto(e)})
	})
	if err == nil || ctx.Err() != nil {
		return nil // the host ended the stream, or the plugin stopped cleanly
	}
	mu.Lock()
	defer mu.Unlock()
	return stream.Send(&channelpb.EventsResponse{Error: errorToProto(err)})
}

func (s *grpcServer) Action(ctx context.Context, req *channelpb.ActionRequest) (*channelpb.ActionResponse, error) {
	res, err := s.impl.Action(ctx, connectionFromProto(req.GetConnection()), req.GetName(), rawJSON(req.GetArgs()))
	if err != nil {
		return &channelpb.ActionResponse{Error: errorToProto(err)}, nil
	}
	return &channelpb.ActionResponse{Result: res}, nil
}

// grpcClient runs in the host: it is the Channel that Dispense returns. A classified
// error from the plugin comes back as the same *Error; a failed call (the plugin
// crashed, the connection broke, the deadline passed) comes back as a Transient *Error.
type grpcClient struct {
	client channelpb.ChannelClient
}

var _ Channel = (*grpcClient)(nil)

// callError turns a gRPC failure into a Transient error.
func callError(method string, err error) error {
	return &Error{Class: Transient, Reason: fmt.Sprintf("channel plugin %s call failed: %v", method, err)}
}

func (c *grpcClient) Describe(ctx context.Context) (Description, error) {
	resp, err := c.client.Describe(ctx, &channelpb.DescribeRequest{})
	if err != nil {
		return Description{}, callError("Describe", err)
	}
	if resp.GetError() != nil {
		return Description{}, errorFromProto(resp.GetError())
	}
	return descriptionFromProto(resp.GetDescription()), nil
}

func (c *grpcClient) ValidateConfig(ctx context.Context, engine string, config json.RawMessage) ([]FieldError, error) {
	resp, err := c.client.ValidateConfig(ctx, &channelpb.ValidateConfigRequest{Engine: engine, Config: config})
	if err != nil {
		return nil, callError("ValidateConfig", err)
	}
	return fieldErrorsFromProto(resp.GetFieldErrors()), errorFromProto(resp.GetError())
}

func (c *grpcClient) Send(ctx context.Context, conn Connection, msg OutboundMessage) (SendResult, error) {
	resp, err := c.client.Send(ctx, &channelpb.SendRequest{Connection: connectionToProto(conn), Message: outboundToProto(msg)})
	if err != nil {
		return SendResult{}, callError("Send", err)
	}
	if resp.GetError() != nil {
		return SendResult{}, errorFromProto(resp.GetError())
	}
	return SendResult{
		ProviderMessageID: resp.GetResult().GetProviderMessageId(),
		Segments:          int(resp.GetResult().GetSegments()),
		RecipientAddress:  resp.GetResult().GetRecipientAddress(),
	}, nil
}

func (c *grpcClient) HandleWebhook(ctx context.Context, conn Connection, req WebhookRequest) (WebhookResponse, []Event, error) {
	resp, err := c.client.HandleWebhook(ctx, &channelpb.HandleWebhookRequest{
		Connection: connectionToProto(conn),
		Request:    webhookRequestToProto(req),
	})
	if err != nil {
		return WebhookResponse{}, nil, callError("HandleWebhook", err)
	}
	return webhookResponseFromProto(resp.GetResponse()), eventsFromProto(resp.GetEvents()), errorFromProto(resp.GetError())
}

func (c *grpcClient) OpenSession(ctx context.Context, conn Connection) error {
	resp, err := c.client.OpenSession(ctx, &channelpb.OpenSessionRequest{Connection: connectionToProto(conn)})
	if err != nil {
		return callError("OpenSession", err)
	}
	return errorFromProto(resp.GetError())
}

func (c *grpcClient) CloseSession(ctx context.Context, connectionID string) error {
	resp, err := c.client.CloseSession(ctx, &channelpb.CloseSessionRequest{ConnectionId: connectionID})
	if err != nil {
		return callError("CloseSession", err)
	}
	return errorFromProto(resp.GetError())
}

// Events calls emit for each session event the plugin streams, in order, until ctx
// ends (it then returns ctx.Err()), emit returns an error (returned as is), the plugin
// ends the stream (nil, or the plugin's classified error) or the call fails (Transient).
func (c *grpcClient) Events(ctx context.Context, emit func(Event) error) error {
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.client.Events(callCtx, &channelpb.EventsRequest{})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return callError("Events", err)
	}
	for {
		resp, err := stream.Recv()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return callError("Events", err)
		case resp.GetError() != nil:
			return errorFromProto(resp.GetError())
		case resp.GetEvent() != nil:
			if err := emit(eventFromProto(resp.GetEvent())); err != nil {
				return err
			}
		}
	}
}

func (c *grpcClient) Action(ctx context.Context, conn Connection, name string, args json.RawMessage) (json.RawMessage, error) {
	resp, err := c.client.Action(ctx, &channelpb.ActionRequest{Connection: connectionToProto(conn), Name: name, Args: args})
	if err != nil {
		return nil, callError("Action", err)
	}
	if resp.GetError() != nil {
		return nil, errorFromProto(resp.GetError())
	}
	return rawJSON(resp.GetResult()), nil
}
