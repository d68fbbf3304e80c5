package policies

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	stringadapter "github.com/casbin/casbin/v2/persist/string-adapter"
	"github.com/casbin/casbin/v2/util"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var policyText string

// Effect is what an override does to a role's permission in one workspace.
type Effect string

const (
	Allow Effect = "allow"
	Deny  Effect = "deny"
)

// Override changes one role's permission in one workspace (a row of role_overrides).
type Override struct {
	WorkspaceID string
	Role        Role
	Permission  Permission
	Effect      Effect
}

// Enforcer answers permission checks. It is safe for concurrent use.
type Enforcer struct {
	mu sync.RWMutex
	ce *casbin.SyncedCachedEnforcer
	// overrides per workspace, kept so SetOverrides can replace a workspace's set.
	overrides map[string][]Override
}

// NewEnforcer builds an enforcer from the embedded model and default policy.
func NewEnforcer() (*Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("policies: model: %w", err)
	}
	ce, err := casbin.NewSyncedCachedEnforcer(m, stringadapter.NewAdapter(stripComments(policyText)))
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	// Roles are granted in domain "*"; this makes g(role, parent, "ws_…") find them.
	ce.AddNamedDomainMatchingFunc("g", "keyMatch", util.KeyMatch)
	ce.EnableAutoSave(false)
	if err := ce.LoadPolicy(); err != nil {
		return nil, fmt.Errorf("policies: load: %w", err)
	}
	return &Enforcer{ce: ce, overrides: map[string][]Override{}}, nil
}

// stripComments drops comment and blank lines, which the string adapter would read as
// malformed policy rows.
func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return b.String()
}

// Allowed reports whether role may use permission in workspace.
func (e *Enforcer) Allowed(workspaceID string, role Role, p Permission) bool {
	if !role.Valid() || workspaceID == "" || workspaceID == "*" {
		return false
	}
	// Admins hold every permission and no override takes one away: a deny meant for
	// managers must not lock the workspace's admins out of it.
	if role == Admin {
		return p.Known()
	}
	ok, err := e.ce.Enforce(string(role), workspaceID, string(p))
	return err == nil && ok
}

// Granted lists the permissions role has in workspace, sorted.
func (e *Enforcer) Granted(workspaceID string, role Role) []Permission {
	var out []Permission
	for _, p := range Permissions() {
		if e.Allowed(workspaceID, role, p) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// SetOverrides replaces workspace's overrides with list.
func (e *Enforcer) SetOverrides(workspaceID string, list []Override) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, o := range e.overrides[workspaceID] {
		if _, err := e.ce.RemovePolicy(string(o.Role), workspaceID, string(o.Permission), string(o.Effect)); err != nil {
			return fmt.Errorf("policies: %w", err)
		}
	}
	delete(e.overrides, workspaceID)
	for _, o := range list {
		if o.WorkspaceID != workspaceID || !o.Role.Valid() || o.Role == Admin || !o.Permission.Known() || (o.Effect != Allow && o.Effect != Deny) {
			return fmt.Errorf("policies: invalid override %+v", o)
		}
		if _, err := e.ce.AddPolicy(string(o.Role), workspaceID, string(o.Permission), string(o.Effect)); err != nil {
			return fmt.Errorf("policies: %w", err)
		}
	}
	if len(list) > 0 {
		e.overrides[workspaceID] = append([]Override(nil), list...)
	}
	return e.ce.InvalidateCache()
}
