package messaging

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// ErrConversationSending refuses to delete a conversation while one of its messages
// is on its way: that send is being charged or is with the provider, and its outcome
// (sent, or failed and refunded) must find the message.
var ErrConversationSending = failure.New(failure.Conflict, "conversation_sending",
	"a message of this conversation is on its way; delete the conversation once it is sent or has failed")

// DeletedSend is a charged message sent from a conversation since deleted, kept so a
// failure the provider reports later still refunds it.
type DeletedSend struct {
	bun.BaseModel `bun:"table:deleted_sends,alias:ds"`
	tenants.Owned

	ConnectionID      string    `bun:"connection_id,pk"`
	ProviderMessageID string    `bun:"provider_message_id,pk"`
	ChargeKey         string    `bun:"charge_key,notnull"`
	DeletedAt         time.Time `bun:"deleted_at,notnull"`
}

// DeletedSendsKept is how long a deleted conversation's sends wait for a failure: a
// WhatsApp message to a phone that stays offline fails when it expires, 30 days on.
const DeletedSendsKept = 31 * 24 * time.Hour

// Sending reports whether one of the conversation's outbound messages is on its way
// (pending or queued: being charged, or with the provider).
func Sending(ctx context.Context, sc tenants.Scoped, conversationID string) (bool, error) {
	return sc.Select((*Message)(nil)).Where("m.conversation_id = ? AND m.direction = ? AND m.status IN (?)",
		conversationID, DirectionOut, bun.List([]string{StatusPending, StatusQueued})).Exists(ctx)
}

// DeleteConversation removes a conversation with its messages, their timelines, stars
// and recipients, in one transaction whose delete matches only while none of its
// outbound messages is pending or queued (ErrConversationSending). Scheduled ones must
// have been called off, and failed ones refunded, first. Its messages the provider
// took but has not yet said delivered (sent) are kept as DeletedSend, so a failure
// reported later still refunds them. It returns the uploaded files its messages
// carried, which the caller removes when no other message carries them (FilesInUse).
func DeleteConversation(ctx context.Context, sc tenants.Scoped, id string, now time.Time) ([]string, error) {
	var carried []Message
	err := storage.InTx(ctx, sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		tsc := sc.With(tx)
		// Read in the transaction that deletes them: a media message written
		// meanwhile is either deleted with the rest and counted here, or kept.
		if err := tsc.Select(&carried).Column("m.id", "m.content").
			Where("m.conversation_id = ? AND m.type IN (?)", id, bun.List(carriers)).Scan(ctx); err != nil {
			return err
		}
		var sent []Message
		if err := tsc.Select(&sent).Column("m.id", "m.attempt", "m.connection_id", "m.provider_message_id").
			Where("m.conversation_id = ? AND m.direction = ? AND m.status = ? AND m.provider_message_id IS NOT NULL AND m.credits > 0",
				id, DirectionOut, StatusSent).Scan(ctx); err != nil {
			return err
		}
		for start := 0; start < len(sent); start += 200 {
			batch := sent[start:min(start+200, len(sent))]
			kept := make([]DeletedSend, len(batch))
			for i, m := range batch {
				kept[i] = DeletedSend{ConnectionID: m.ConnectionID, ProviderMessageID: *m.ProviderMessageID, ChargeKey: m.ChargeKey(), DeletedAt: stored(now)}
			}
			if _, err := tenants.InsertAll(tsc, kept).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
				return err
			}
		}
		res, err := tsc.Delete((*Conversation)(nil)).Where("cv.id = ?", id).
			Where(`NOT EXISTS (SELECT 1 FROM messages AS m WHERE m.workspace_id = cv.workspace_id AND m.conversation_id = cv.id
				AND m.direction = ? AND m.status IN (?))`, DirectionOut, bun.List([]string{StatusPending, StatusQueued})).Exec(ctx)
		if ok, err := storage.Changed(res, err); err != nil {
			return err
		} else if !ok {
			if _, err := GetConversation(ctx, tsc, id); err != nil {
				return err // gone already, or never this workspace's
			}
			return ErrConversationSending
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var files []string
	seen := map[string]bool{}
	for _, m := range carried {
		if f := m.Content.MediaFile; f != "" && !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	return files, nil
}

// DeletedSendOf finds the deleted conversation's send the provider reports on; ok is
// false when there is none.
func DeletedSendOf(ctx context.Context, sc tenants.Scoped, connectionID, providerMessageID string) (DeletedSend, bool, error) {
	var kept DeletedSend
	err := sc.Select(&kept).Where("ds.connection_id = ? AND ds.provider_message_id = ?", connectionID, providerMessageID).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return kept, false, nil
	}
	return kept, err == nil, err
}

// ForgetDeletedSend drops a deleted send once the provider's last word on it is in
// (and, for a failure, its refund made).
func ForgetDeletedSend(ctx context.Context, sc tenants.Scoped, d DeletedSend) error {
	_, err := sc.Delete((*DeletedSend)(nil)).Where("ds.connection_id = ? AND ds.provider_message_id = ?", d.ConnectionID, d.ProviderMessageID).Exec(ctx)
	return err
}

// ForgetDeletedSends drops the deleted sends kept longer than DeletedSendsKept.
func ForgetDeletedSends(ctx context.Context, sc tenants.Scoped, now time.Time) (int, error) {
	res, err := sc.Delete((*DeletedSend)(nil)).Where("ds.deleted_at < ?", stored(now.Add(-DeletedSendsKept))).Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// carriers are the message types that may carry an uploaded file: a media message,
// and a template whose media header is one.
var carriers = []string{"media", "template"}

// FilesInUse reports which of the uploaded files some message of the workspace still
// carries (a forward, or a resend, carries its original's).
func FilesInUse(ctx context.Context, sc tenants.Scoped, files []string) (map[string]bool, error) {
	used := map[string]bool{}
	if len(files) == 0 {
		return used, nil
	}
	field := "json_extract(m.content, '$.media_file')"
	if storage.IsPostgres(sc.DB()) {
		field = "m.content->>'media_file'"
	}
	var found []string
	err := sc.Select((*Message)(nil)).ColumnExpr("DISTINCT "+field).
		Where("m.type IN (?) AND "+field+" IN (?)", bun.List(carriers), bun.List(files)).Scan(ctx, &found)
	for _, f := range found {
		used[f] = true
	}
	return used, err
}
