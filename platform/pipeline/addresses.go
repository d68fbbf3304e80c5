package pipeline

import (
	"context"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/tenants"
)

// recipientAddress keeps the provider's own address of a send's recipient, when it
// named one other than the address sent to (sdk.SendResult.RecipientAddress: WhatsApp's
// wa_id), as an alias of the contact: their replies come from it, and find the
// contact, and so the conversation that wrote to them (messaging.RouteInbound). It is
// kept before the send is recorded as sent, so a message shown sent has it; best
// effort all the same: the message went out whatever happens here, and the next send
// to them records it again.
func (p *Pipeline) recipientAddress(ctx context.Context, sc tenants.Scoped, contact messaging.Contact, channelKind, address string) {
	if address == "" {
		return
	}
	if err := messaging.RecordContactAlias(ctx, sc, contact, channelKind, address); err != nil {
		p.Log.Warn("recipient's provider address not recorded", "workspace", sc.WorkspaceID(), "contact", contact.ID, "error", err)
	}
}
