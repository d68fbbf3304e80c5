package messaging

import (
	"context"

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

// DeleteConversation removes a conversation with its messages, their timelines, stars
// and recipients, in one statement that matches only while none of its outbound
// messages is pending or queued (ErrConversationSending). Scheduled ones must have
// been called off first. It returns the uploaded files its messages carried, which
// the caller removes when no other message carries them (see FilesInUse).
func DeleteConversation(ctx context.Context, sc tenants.Scoped, id string) ([]string, error) {
	var carried []Message
	err := sc.Select(&carried).Column("m.id", "m.content").
		Where("m.conversation_id = ? AND m.type = ?", id, "media").Scan(ctx)
	if err != nil {
		return nil, err
	}
	res, err := sc.Delete((*Conversation)(nil)).Where("cv.id = ?", id).
		Where(`NOT EXISTS (SELECT 1 FROM messages AS m WHERE m.workspace_id = cv.workspace_id AND m.conversation_id = cv.id
			AND m.direction = ? AND m.status IN (?))`, DirectionOut, bun.List([]string{StatusPending, StatusQueued})).Exec(ctx)
	if ok, err := storage.Changed(res, err); err != nil {
		return nil, err
	} else if !ok {
		if _, err := GetConversation(ctx, sc, id); err != nil {
			return nil, err // gone already, or never this workspace's
		}
		return nil, ErrConversationSending
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
		Where("m.type = ? AND "+field+" IN (?)", "media", bun.List(files)).Scan(ctx, &found)
	for _, f := range found {
		used[f] = true
	}
	return used, err
}
