package pipeline

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/platform/batching"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/tenants"
)

// The send path's round trips, shared by the sends of a workspace in flight at the
// same moment (see package batching): under a campaign's load, a statement carries
// up to maxSendBatch messages instead of one.
const (
	maxSendBatch     = 100
	sendBatchTimeout = 30 * time.Second
)

type sendBatches struct {
	loads *batching.Queue[string, string, *messaging.Outgoing]
	moves *batching.Queue[string, messaging.Move, moved]
	rolls *batching.Queue[string, string, rolledUp]
	dones *batching.Queue[string, struct{}, struct{}]
	// statuses applies the receipts that come back for the sends (see statusBatch).
	statuses *batching.Queue[statusKey, string, statusApplied]
}

// rolledUp is a conversation after its pill was rolled up, and whether the pill
// changed.
type rolledUp struct {
	conv        messaging.Conversation
	pillChanged bool
}

// moved is a message after a status move, whether it changed, and its conversation
// as the move saw it (nil when the batched statement did not make the move).
type moved struct {
	message messaging.Message
	changed bool
	conv    *messaging.ConversationBrief
}

func (p *Pipeline) batches() *sendBatches {
	p.batchesOnce.Do(func() {
		p.sendBatches = &sendBatches{
			loads:    batching.New(maxSendBatch, sendBatchTimeout, p.loadBatch),
			moves:    batching.New(maxSendBatch, sendBatchTimeout, p.moveBatch),
			rolls:    batching.New(maxSendBatch, sendBatchTimeout, p.rollUpBatch),
			dones:    batching.New(maxSendBatch, sendBatchTimeout, p.doneBatch),
			statuses: batching.New(maxSendBatch, sendBatchTimeout, p.statusBatch),
		}
	})
	return p.sendBatches
}

// loadOutgoing loads a message to send with its conversation, contact and connection.
func (p *Pipeline) loadOutgoing(ctx context.Context, workspaceID, messageID string) (*messaging.Outgoing, error) {
	return p.batches().loads.Do(ctx, workspaceID, messageID)
}

func (p *Pipeline) loadBatch(ctx context.Context, workspaceID string, ids []string) []batching.Result[*messaging.Outgoing] {
	out := make([]batching.Result[*messaging.Outgoing], len(ids))
	found, err := messaging.GetOutgoingMany(ctx, tenants.Scope(p.DB, workspaceID), ids)
	given := make(map[string]bool, len(ids))
	for i, id := range ids {
		o, ok := found[id]
		switch {
		case err != nil:
			out[i].Err = err
		case !ok:
			out[i].Err = messaging.ErrMessageNotFound
		case given[id]:
			// The same message twice in a batch (a task redelivered while its first
			// delivery still runs): each send changes its own.
			own := *o
			out[i].Value = &own
		default:
			out[i].Value, given[id] = o, true
		}
	}
	return out
}

// move records a status change of m (see messaging.Apply) and reports how it went;
// m is brought up to date.
func (p *Pipeline) move(ctx context.Context, sc tenants.Scoped, m *messaging.Message, c messaging.Change) (moved, error) {
	own := *m // the batch works on its own copy: a caller that gives up waiting must not see m change later
	res, err := p.batches().moves.Do(ctx, sc.WorkspaceID(), messaging.Move{Message: &own, Change: c})
	if err != nil {
		return moved{}, err
	}
	*m = res.message
	return res, nil
}

func (p *Pipeline) moveBatch(ctx context.Context, workspaceID string, moves []messaging.Move) []batching.Result[moved] {
	out := make([]batching.Result[moved], len(moves))
	for i, a := range messaging.ApplyMany(ctx, tenants.Scope(p.DB, workspaceID), moves) {
		out[i] = batching.Result[moved]{Value: moved{message: *moves[i].Message, changed: a.Changed, conv: a.Conversation}, Err: a.Err}
	}
	return out
}

// rollUp rolls the conversation's pill up (see messaging.RollUp). The sends of one
// campaign all land in its conversation: a batch rolls each conversation up once,
// and only the first caller of a conversation hears that its pill changed, so the
// change is announced once.
func (p *Pipeline) rollUp(ctx context.Context, sc tenants.Scoped, conversationID string) (messaging.Conversation, bool, error) {
	res, err := p.batches().rolls.Do(ctx, sc.WorkspaceID(), conversationID)
	return res.conv, res.pillChanged, err
}

func (p *Pipeline) rollUpBatch(ctx context.Context, workspaceID string, ids []string) []batching.Result[rolledUp] {
	sc := tenants.Scope(p.DB, workspaceID)
	out := make([]batching.Result[rolledUp], len(ids))
	first := make(map[string]int, len(ids))
	for i, id := range ids {
		if j, ok := first[id]; ok {
			out[i] = out[j]
			out[i].Value.pillChanged = false
			continue
		}
		first[id] = i
		out[i].Value.conv, out[i].Value.pillChanged, out[i].Err = messaging.RollUp(ctx, sc, id)
	}
	return out
}

// sendDone takes a finished send off its workspace's backlog count (see fairQueues);
// a scheduled send was never on it.
func (p *Pipeline) sendDone(ctx context.Context, pl MessageSendPayload) {
	if !pl.Scheduled {
		p.done(ctx, backlogKey(pl.WorkspaceID))
	}
}

// done takes a finished task off the fair-share count at key. A campaign's tasks
// finish together, so theirs are taken off a batch at a time.
func (p *Pipeline) done(ctx context.Context, key string) {
	p.batches().dones.Do(ctx, key, struct{}{})
}

func (p *Pipeline) doneBatch(ctx context.Context, key string, batch []struct{}) []batching.Result[struct{}] {
	uncount(ctx, p.Redis, key, len(batch))
	return make([]batching.Result[struct{}], len(batch))
}
