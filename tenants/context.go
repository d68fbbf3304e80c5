package tenants

import (
	"context"
)

type contextKey int

const (
	workspaceKey contextKey = iota
	membershipKey
)

// WithWorkspace returns ctx carrying the resolved workspace and the caller's membership.
func WithWorkspace(ctx context.Context, ws Workspace, m Membership) context.Context {
	ctx = context.WithValue(ctx, workspaceKey, ws)
	return context.WithValue(ctx, membershipKey, m)
}

// FromContext returns the workspace the request or task belongs to.
func FromContext(ctx context.Context) (Workspace, bool) {
	ws, ok := ctx.Value(workspaceKey).(Workspace)
	return ws, ok
}

// MembershipFromContext returns the caller's membership in that workspace. For an API
// token it is synthesised from the token's role.
func MembershipFromContext(ctx context.Context) (Membership, bool) {
	m, ok := ctx.Value(membershipKey).(Membership)
	return m, ok
}
