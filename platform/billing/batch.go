package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/batching"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// A bulk send charges one wallet from every worker at once, and every charge must
// lock that wallet's row: one at a time, the row lock caps a workspace's sends per
// second however many workers run. So concurrent charges of one wallet queue up
// here, and whoever drains the queue applies all that waited in a single statement:
// the balance moves by their sum (only if it covers the sum) and each charge gets its
// own ledger entry with its own balance_after (the queue is a batching.Queue per
// wallet). A key charged before (a redelivered
// task) is taken out of the batch and replayed, and the rest tried together again. A
// batch that still cannot go through whole (not enough credits for all of it, no
// wallet yet) is applied one charge at a time instead, in the order the charges
// arrived, so each gets the answer it would have had alone. Nothing waits for a
// batch to fill: a charge that finds the wallet idle is applied at once, and batches
// form only under load.

// maxChargeBatch bounds one statement's size.
const maxChargeBatch = 200

// chargeTimeout bounds a batch's statement.
const chargeTimeout = 30 * time.Second

// applyCharges is the charge queue's batch: the charges of one wallet that waited
// together, in arrival order.
func (l *Ledger) applyCharges(ctx context.Context, workspaceID string, batch []Movement) []batching.Result[Result] {
	// A key twice in one batch (a task delivered again while its first run still
	// waits here) is applied once; the later request replays the first one's entry.
	first := make(map[string]int, len(batch))
	var unique []Movement
	var repeats []int // indexes into batch
	for i, m := range batch {
		if _, seen := first[m.Key]; seen {
			repeats = append(repeats, i)
			continue
		}
		first[m.Key] = len(unique)
		unique = append(unique, m)
	}
	outcomes := make([]batching.Result[Result], len(unique))
	applied := make([]bool, len(unique))
	pending := make([]int, len(unique)) // indexes into unique of the batch to try
	for i := range unique {
		pending[i] = i
	}
	for attempt := 0; len(pending) > 1; attempt++ {
		batch := make([]Movement, len(pending))
		for j, i := range pending {
			batch[j] = unique[i]
		}
		results, ok, err := l.debitBatch(ctx, workspaceID, batch)
		if err == nil && ok {
			l.batched.Add(int64(len(batch)))
			for j, i := range pending {
				outcomes[i], applied[i] = batching.Result[Result]{Value: results[j]}, true
			}
			break
		}
		if !errors.Is(err, errDuplicate) || attempt > 0 {
			break
		}
		// A key of the batch was charged before (a redelivered task): take the
		// charges already made out, they are replayed one by one below, and try
		// the rest together once more instead of dropping the whole batch to
		// one-at-a-time.
		used, err := l.usedKeys(ctx, workspaceID, batch)
		if err != nil {
			break
		}
		pending = slices.DeleteFunc(pending, func(i int) bool { return used[unique[i].Key] })
	}
	for i, m := range unique {
		if !applied[i] {
			outcomes[i].Value, outcomes[i].Err = l.chargeOne(ctx, workspaceID, m)
		}
	}
	out := make([]batching.Result[Result], len(batch))
	for i, m := range batch {
		out[i] = outcomes[first[m.Key]]
	}
	for _, i := range repeats {
		if out[i].Err == nil {
			out[i].Value, out[i].Err = replayed(out[i].Value.Entry, batch[i])
			out[i].Value.CrossedLowLevel = false
		}
	}
	return out
}

// debitBatch applies the batch in one statement. ok is false, and nothing was
// applied, when the batch cannot go through whole; the error is errDuplicate when a
// key of the batch was used before.
func (l *Ledger) debitBatch(ctx context.Context, workspaceID string, batch []Movement) ([]Result, bool, error) {
	now := time.Now().UTC()
	entries := make([]Entry, len(batch))
	var total int64
	n := len(batch)
	ids, amounts, keys, actors, refs, notes := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, m := range batch {
		e := Entry{ID: storage.NewID(), Kind: m.Kind, Amount: m.Amount, IdempotencyKey: m.Key, Actor: m.Actor,
			Reference: m.Ref, Note: m.Note, CreatedAt: now}
		e.WorkspaceID = workspaceID
		entries[i] = e
		total += e.Amount
		ids[i], amounts[i], keys[i], actors[i], refs[i], notes[i] = e.ID, strconv.FormatInt(e.Amount, 10), e.IdempotencyKey, e.Actor, e.Reference, e.Note
	}
	var rows []struct {
		ID           string `bun:"id"`
		BalanceAfter int64  `bun:"balance_after"`
		Threshold    int64  `bun:"low_balance_threshold"`
	}
	// Prepared, with one array per column, so the statement's text is the same for
	// every batch size and PostgreSQL plans it once per connection rather than once a
	// batch. Entries take their balance_after in arrival order: the balance before the
	// batch minus the charges up to and including each one.
	ps := tenants.Scope(l.db, workspaceID).Prepared()
	err := ps.ScanInto(ctx, l.db.NewRaw(`WITH req AS (
			SELECT * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY
				AS r (id, amount, key, actor, reference, note, ord)
		), debit AS (
			UPDATE wallets AS wl SET balance = balance + $8, updated_at = $9
			WHERE wl.workspace_id = $1 AND balance + $8 >= 0
			RETURNING balance, low_balance_threshold
		), entry AS (
			INSERT INTO ledger_entries (id, workspace_id, kind, amount, balance_after, idempotency_key, actor, reference, note, created_at)
			SELECT req.id, $1, $10, req.amount, debit.balance - $8 + sum(req.amount) OVER (ORDER BY req.ord),
				req.key, req.actor, req.reference, req.note, $9
			FROM req, debit
			RETURNING id, balance_after
		)
		SELECT entry.id, entry.balance_after, debit.low_balance_threshold FROM entry, debit`), &rows,
		storage.TextArray(ids), storage.TextArray(amounts), storage.TextArray(keys), storage.TextArray(actors),
		storage.TextArray(refs), storage.TextArray(notes), total, now, string(Charge))
	if storage.IsUniqueViolation(err) {
		return nil, false, errDuplicate
	}
	if err != nil && !storage.IsNotFound(err) {
		return nil, false, fmt.Errorf("billing: batch debit: %w", err)
	}
	if len(rows) != len(batch) {
		if len(rows) != 0 {
			return nil, false, fmt.Errorf("billing: batch debit wrote %d of %d entries", len(rows), len(batch))
		}
		return nil, false, nil
	}
	after := make(map[string]int64, len(rows))
	for _, r := range rows {
		after[r.ID] = r.BalanceAfter
	}
	threshold := rows[0].Threshold
	results := make([]Result, len(batch))
	crossed := false
	for i, e := range entries {
		e.BalanceAfter = after[e.ID]
		before := e.BalanceAfter - e.Amount
		results[i] = Result{Entry: e, CrossedLowLevel: threshold > 0 && before > threshold && e.BalanceAfter <= threshold}
		crossed = crossed || results[i].CrossedLowLevel
	}
	if crossed {
		l.lowBalance(ctx, workspaceID, results[len(results)-1].Entry.BalanceAfter, Charge)
	}
	return results, true, nil
}

// usedKeys reports which of the batch's keys already have a ledger entry.
func (l *Ledger) usedKeys(ctx context.Context, workspaceID string, batch []Movement) (map[string]bool, error) {
	keys := make([]string, len(batch))
	for i, m := range batch {
		keys[i] = m.Key
	}
	var used []string
	err := tenants.Scope(l.db, workspaceID).Select((*Entry)(nil)).Column("idempotency_key").
		Where("le.idempotency_key IN (?)", bun.List(keys)).Scan(ctx, &used)
	if err != nil {
		return nil, fmt.Errorf("billing: keys used: %w", err)
	}
	out := make(map[string]bool, len(used))
	for _, k := range used {
		out[k] = true
	}
	return out, nil
}
