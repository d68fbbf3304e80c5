package pipeline

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/platform/batching"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/tenants"
)

// LoadBatchSize is the mean number of messages a load statement carried so far.
func (p *Pipeline) LoadBatchSize() float64 { return meanBatch(p.batches().loads.Stats()) }

func meanBatch(calls, batches int64) float64 {
	if batches == 0 {
		return 0
	}
	return float64(calls) / float64(batches)
}

// MoveStats counts the status moves made through the batches and the batches.
func (p *Pipeline) MoveStats() (calls, batches int64) { return p.batches().moves.Stats() }

// Book runs the pacing script at now (see Pipeline.pace).
func (p *Pipeline) Book(ctx context.Context, connectionID string, rate float64, cost int, bulk bool, now time.Time) (time.Duration, bool, error) {
	return p.book(ctx, connectionID, rate, cost, bulk, now)
}

// BacklogKey is the Redis key counting a workspace's waiting sends.
func BacklogKey(workspaceID string) string { return backlogKey(workspaceID) }

// ScheduledKey is the Redis key counting a workspace's sends scheduled for at's minute.
func ScheduledKey(workspaceID string, at time.Time) string { return scheduledKey(workspaceID, at) }

// InboundBacklogKey is the Redis key counting a workspace's waiting inbound tasks.
func InboundBacklogKey(workspaceID string) string { return inboundBacklogKey(workspaceID) }

// Hold closes connectionID's booking line for d (see Pipeline.hold).
func (p *Pipeline) Hold(ctx context.Context, connectionID string, d time.Duration) error {
	return p.hold(ctx, connectionID, d)
}

// LoadBatch runs the send path's batched load (see Pipeline.loadBatch).
func (p *Pipeline) LoadBatch(ctx context.Context, workspaceID string, ids []string) []batching.Result[*messaging.Outgoing] {
	return p.loadBatch(ctx, workspaceID, ids)
}

// SweepWorkspace is one workspace's part of a sweep (see Pipeline.Sweep), for tests
// that must not touch other workspaces' work.
func (p *Pipeline) SweepWorkspace(ctx context.Context, sc tenants.Scoped, age time.Duration) (queued, failed int, err error) {
	return p.sweepMessages(ctx, sc, p.now().Add(-age))
}
