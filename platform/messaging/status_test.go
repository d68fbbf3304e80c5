package messaging_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/platform/messaging"
)

// TestAdvances: a status only moves forward, whatever order the provider reports
// them in; failed may end a message up to sent, not one already on the customer's
// phone; failed and cancelled are final.
func TestAdvances(t *testing.T) {
	const (
		pending, scheduled, queued = messaging.StatusPending, messaging.StatusScheduled, messaging.StatusQueued
		sent, delivered, read      = messaging.StatusSent, messaging.StatusDelivered, messaging.StatusRead
		failed, cancelled          = messaging.StatusFailed, messaging.StatusCancelled
	)
	for _, tc := range []struct {
		cur, next string
		want      bool
	}{
		{pending, queued, true}, {queued, sent, true}, {sent, delivered, true}, {delivered, read, true},
		{sent, read, true}, // read first: delivered is then implied
		{read, delivered, false}, {read, sent, false}, {delivered, sent, false}, {sent, sent, false},
		{pending, failed, true}, {queued, failed, true}, {sent, failed, true},
		{delivered, failed, false}, {read, failed, false},
		{failed, sent, false}, {failed, failed, false}, {failed, read, false},
		{scheduled, cancelled, true}, {cancelled, sent, false}, {cancelled, failed, false},
	} {
		if got := messaging.Advances(tc.cur, tc.next); got != tc.want {
			t.Errorf("Advances(%s, %s) = %v, want %v", tc.cur, tc.next, got, tc.want)
		}
	}
}
