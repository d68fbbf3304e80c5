package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/tenants"
)

// closeIdle closes the workspace's idle tickets of one kind (to: resolved or
// abandoned) as its auto-close rules say (see messaging.CloseIdle), leaves a note in
// each saying why, and tells browsers of each as it now is. It reports how many it
// closed.
func (p *Pipeline) closeIdle(ctx context.Context, sc tenants.Scoped, rules messaging.AutoClose, to string) (int, error) {
	closed, err := messaging.CloseIdle(ctx, sc, rules, to, p.now())
	for _, c := range closed {
		// The note is the team's record of who closed it and why; the ticket is
		// closed whether or not it could be written.
		if _, nerr := p.Post(ctx, sc, c.After, Draft{Type: "note", Text: closedNote(c)}); nerr != nil {
			p.Log.Warn("auto-close note not written", "workspace", sc.WorkspaceID(), "conversation", c.After.ID, "error", nerr)
		}
		// As it is now: a customer's message may have reopened it since.
		now, rerr := messaging.GetConversation(ctx, sc, c.After.ID)
		if rerr != nil {
			now = c.After
		}
		p.ConversationChanged(ctx, sc, c.Before, now)
	}
	return len(closed), err
}

// closedNote is the note an auto-closed ticket gets.
func closedNote(c messaging.Closed) string {
	if c.After.State == messaging.StateAbandoned {
		return fmt.Sprintf("Abandoned automatically: waited %s in the queue with no message and no one taking it.", spell(c.IdleFor))
	}
	return fmt.Sprintf("Resolved automatically after %s without a message.", spell(c.IdleFor))
}

// spell writes a whole number of minutes as people say it: "90 minutes", "1 hour",
// "3 days".
func spell(d time.Duration) string {
	n, unit := int(d/time.Minute), "minute"
	switch {
	case n > 0 && n%(24*60) == 0:
		n, unit = n/(24*60), "day"
	case n > 0 && n%60 == 0:
		n, unit = n/60, "hour"
	}
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
