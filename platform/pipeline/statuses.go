package pipeline

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/platform/batching"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// A campaign's receipts come two a send (delivered, then read), as fast as its sends
// went out. Applied one by one, each took its own transaction of six round trips,
// and a worker applied a few hundred a second while the campaign sent thousands:
// receipts piled up in the inbound queue, and customers' replies waited behind them.
// On PostgreSQL the receipts of one connection in flight at the same moment are
// applied together (see package batching): the events loaded, their messages found,
// moved and the events marked processed, four statements for the whole batch.
//
// Without a transaction around them: a receipt only ever moves its message forward
// (messaging.Advances), so applying it again after a crash before the mark changes
// nothing. What a batch cannot take (a failed status, which refunds; a status for a
// message not recorded yet, which waits; any other event) goes the one-by-one way.

// statusKey is what a batch of receipts shares: the statement finds messages by the
// provider ids of one connection.
type statusKey struct{ workspace, connection string }

// statusApplied is what the batch did with one event.
type statusApplied struct {
	// handled: the event is applied and marked processed, or was already.
	handled bool
	// moved is the message the event moved, to announce; nil when nothing changed.
	moved *messaging.Message
}

// applyStatuses applies receipts, stored events of the task's ids, through the batch
// and returns the ids left for the one-by-one way, in their order. PostgreSQL only.
func (p *Pipeline) applyStatuses(ctx context.Context, sc tenants.Scoped, connectionID string, eventIDs, receipts []string) ([]string, error) {
	ids := receipts
	key := statusKey{sc.WorkspaceID(), connectionID}
	res := make([]statusApplied, len(ids))
	errs := make([]error, len(ids))
	if len(ids) == 1 {
		res[0], errs[0] = p.batches().statuses.Do(ctx, key, ids[0])
	} else {
		// A webhook may carry several receipts: they join the same batch.
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() { res[i], errs[i] = p.batches().statuses.Do(ctx, key, id) })
		}
		wg.Wait()
	}
	handled := make(map[string]bool, len(ids))
	for i, r := range res {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if r.moved != nil {
			p.changed(ctx, sc, r.moved)
		}
		handled[ids[i]] = r.handled
	}
	var left []string
	for _, id := range eventIDs {
		if !handled[id] {
			left = append(left, id)
		}
	}
	return left, nil
}

// receipt is a stored status event the batch can apply.
type receipt struct {
	providerID string
	change     messaging.Change
}

func (p *Pipeline) statusBatch(ctx context.Context, key statusKey, ids []string) []batching.Result[statusApplied] {
	out := make([]batching.Result[statusApplied], len(ids))
	fail := func(err error) []batching.Result[statusApplied] {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	sc := tenants.Scope(p.DB, key.workspace)
	ps := sc.Prepared()
	var events []connections.StoredEvent
	load := ps.Text(unprocessedEach.Text(ps, func(ps tenants.Prepared) string {
		return ps.Select((*connections.StoredEvent)(nil)).Where("ce.id = ? AND ce.processed_at IS NULL", tenants.Each).Limit(1).String()
	}), &events)
	if err := ps.ScanEach(ctx, load, ids); err != nil {
		return fail(err)
	}
	receipts := make(map[string]receipt, len(events))
	var providerIDs []string
	for _, ev := range events {
		r, ok := asReceipt(ev, key.connection)
		if ok {
			receipts[ev.ID] = r
			providerIDs = append(providerIDs, r.providerID)
		}
	}
	var msgs map[string]messaging.Message
	if len(providerIDs) > 0 {
		var err error
		if msgs, err = messaging.ByProviderIDs(ctx, sc, key.connection, providerIDs); err != nil {
			return fail(err)
		}
	}
	// One move per event (an event twice in the batch, redelivered, moves once); the
	// delivered and read of one message may both be here, each with its own copy.
	var moves []messaging.Move
	moveOf := make(map[string]int, len(receipts))
	for _, id := range ids {
		r, ok := receipts[id]
		if _, seen := moveOf[id]; seen || !ok {
			continue
		}
		m, found := msgs[r.providerID]
		if !found {
			continue
		}
		moveOf[id] = len(moves)
		moves = append(moves, messaging.Move{Message: &m, Change: r.change})
	}
	applied := messaging.ApplyMany(ctx, sc, moves)
	var done []string
	for id, j := range moveOf {
		if applied[j].Err == nil {
			done = append(done, id)
		}
	}
	if len(done) > 0 {
		mark := ps.DB().NewRaw(`UPDATE channel_events AS ce SET processed_at = ?
			FROM unnest(?::text[]) AS each (id) WHERE ce.workspace_id = ? AND ce.id = each.id`,
			tenants.Arg(2), tenants.Arg(3), ps.Workspace())
		if _, err := ps.Exec(ctx, mark, time.Now().UTC(), storage.TextArray(done)); err != nil {
			return fail(err)
		}
	}
	stored := make(map[string]bool, len(events))
	for _, ev := range events {
		stored[ev.ID] = true
	}
	announced := make(map[string]bool, len(moveOf))
	for i, id := range ids {
		j, moved := moveOf[id]
		switch {
		case !stored[id]:
			out[i].Value.handled = true // processed already, or its connection is gone
		case moved && applied[j].Err == nil:
			out[i].Value.handled = true
			if applied[j].Changed && !announced[id] {
				announced[id] = true
				out[i].Value.moved = moves[j].Message
			}
		}
	}
	return out
}

var unprocessedEach tenants.Kept

// batchable reports whether the receipt batch takes e: a status other than failed.
func batchable(e sdk.Event) bool {
	return e.Type == sdk.EventStatus && e.Status != nil && e.Status.ProviderMessageID != "" && e.Status.Status != messaging.StatusFailed
}

// asReceipt reads a stored event of the connection as a receipt the batch applies.
func asReceipt(ev connections.StoredEvent, connectionID string) (receipt, bool) {
	if ev.Type != sdk.EventStatus || ev.ConnectionID != connectionID {
		return receipt{}, false
	}
	var e sdk.Event
	if err := json.Unmarshal(ev.Payload, &e); err != nil || !batchable(e) {
		return receipt{}, false
	}
	at := e.Status.Timestamp
	if at.IsZero() {
		at = ev.ReceivedAt
	}
	return receipt{providerID: e.Status.ProviderMessageID,
		change: messaging.Change{Status: e.Status.Status, Reason: e.Status.ErrorReason, Source: "provider", At: at}}, true
}
