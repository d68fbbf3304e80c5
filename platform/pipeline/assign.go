package pipeline

import (
	"context"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/tenants"
)

// AssignQueued gives the tickets waiting in the workspace's queue a pass of its rules
// (see messaging.AssignQueued) and tells browsers of each one handed out: the queue
// loses it, its member gains it (a new-assignment notice), the counts move. Call it
// after anything that can let the queue hand out a ticket: one entering it, a member
// freeing room (resolve, pending, a transfer away), coming online or getting more
// capacity, the rules changing. skip is as messaging.AssignQueued has it.
//
// Best effort: trouble is logged, and the sweep gives every queue a pass each minute.
func (p *Pipeline) AssignQueued(ctx context.Context, sc tenants.Scoped, skip map[string]string) {
	if _, err := p.assignQueued(ctx, sc, skip); err != nil {
		p.Log.Error("queued tickets not assigned", "workspace", sc.WorkspaceID(), "error", err)
	}
}

// assignQueued is AssignQueued reporting how many tickets it handed out, or its trouble.
func (p *Pipeline) assignQueued(ctx context.Context, sc tenants.Scoped, skip map[string]string) (int, error) {
	online := func(ctx context.Context) (map[string]bool, error) {
		if p.Presence == nil {
			return map[string]bool{}, nil
		}
		return p.Presence.Online(ctx, sc.WorkspaceID())
	}
	assigned, err := messaging.AssignQueued(ctx, sc, online, skip, p.now())
	for _, a := range assigned {
		p.ConversationChanged(ctx, sc, a.Before, a.After)
	}
	return len(assigned), err
}
