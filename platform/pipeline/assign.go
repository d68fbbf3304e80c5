package pipeline

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// AssignQueued gives the tickets waiting in the workspace's queue a pass of its rules
// (see messaging.AssignQueued) and tells browsers of each one handed out: the queue
// loses it, its member gains it (a new-assignment notice), the counts move. Call it
// after anything that can let the queue hand out a ticket: one entering it, a member
// freeing room (resolve, pending, archive, a transfer away), coming online or getting
// more capacity, the rules changing. skip is as messaging.Pass has it.
//
// Best effort: trouble is logged, and the sweep gives every queue a pass each minute.
func (p *Pipeline) AssignQueued(ctx context.Context, sc tenants.Scoped, skip map[string]string) {
	if _, err := p.assignQueued(ctx, sc, skip); err != nil {
		p.Log.Error("queued tickets not assigned", "workspace", sc.WorkspaceID(), "error", err)
	}
}

// assignPassTimeout bounds a pass run on its own (AssignQueuedSoon).
const assignPassTimeout = 30 * time.Second

// AssignQueuedSoon is AssignQueued run on its own, for a caller that must not wait
// for it (a realtime connection, whose events would pile up meanwhile).
func (p *Pipeline) AssignQueuedSoon(ctx context.Context, sc tenants.Scoped) {
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), assignPassTimeout)
		defer cancel()
		p.AssignQueued(ctx, sc, nil)
	}()
}

// assignQueued is AssignQueued reporting how many tickets it handed out, or its trouble.
func (p *Pipeline) assignQueued(ctx context.Context, sc tenants.Scoped, skip map[string]string) (int, error) {
	online := func(ctx context.Context) (map[string]bool, error) { return p.Online(ctx, sc.WorkspaceID()) }
	assigned, err := messaging.AssignQueued(ctx, sc, messaging.Pass{MayHold: p.MayHold(sc.WorkspaceID()), Online: online, Skip: skip, Now: p.now()})
	for _, a := range assigned {
		p.ConversationChanged(ctx, sc, a.Before, a.After)
	}
	return len(assigned), err
}

// Online are the members of the workspace with the app open (none without Presence).
func (p *Pipeline) Online(ctx context.Context, workspaceID string) (map[string]bool, error) {
	if p.Presence == nil {
		return map[string]bool{}, nil
	}
	return p.Presence.Online(ctx, workspaceID)
}

// MayHold reports, for the workspace, whether members of a role may hold tickets:
// whether it lets them reply (its permission overrides included), as a transfer by
// hand checks.
func (p *Pipeline) MayHold(workspaceID string) messaging.MayHold {
	return func(role policies.Role) bool {
		if p.Enforcer == nil {
			return tenants.HoldsTickets(role)
		}
		return p.Enforcer.Allowed(workspaceID, role, policies.ConversationsReply)
	}
}
