package billing

// SetPlanCreditsBatch makes GrantPlanCredits read n workspaces at a time and returns
// the function restoring the default.
func SetPlanCreditsBatch(n int) (restore func()) {
	old := planCreditsBatch
	planCreditsBatch = n
	return func() { planCreditsBatch = old }
}

// BatchedCharges is how many charges went through a multi-charge statement.
func (l *Ledger) BatchedCharges() int64 { return l.batched.Load() }
