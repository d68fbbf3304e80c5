package loopback_test

import (
	"context"
	"testing"

	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
)

func benchmarkSend(b *testing.B, ch sdk.Channel) {
	conn := connWith(loopback.Config{WebhookSecret: "s"})
	msg := text("hello")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ch.Send(ctx, conn, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSend is the loopback channel called directly.
func BenchmarkSend(b *testing.B) { benchmarkSend(b, loopback.New()) }

// BenchmarkSendGRPC adds the SDK's adapters and an in-process gRPC connection.
func BenchmarkSendGRPC(b *testing.B) { benchmarkSend(b, conformance.Connect(b, loopback.New())) }

// BenchmarkSendBinary is a real plugin process, launched as the host launches it.
func BenchmarkSendBinary(b *testing.B) {
	benchmarkSend(b, conformance.Launch(b, pluginDir))
}
