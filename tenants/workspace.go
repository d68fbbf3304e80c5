// Package tenants holds workspaces (the tenants), plans and their features,
// memberships and invitations, and Scoped: the query builder every tenant-owned query
// goes through.
package tenants

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
)

// Errors reported by this package.
var (
	ErrWorkspaceNotFound  = failure.New(failure.NotFound, "workspace_not_found", "workspace not found")
	ErrWorkspaceSuspended = failure.New(failure.Forbidden, "workspace_suspended", "this workspace is suspended; contact the platform operator")
	ErrSlugTaken          = failure.New(failure.Conflict, "slug_taken", "this address is already taken").WithField("slug", "is already taken")
)

// WhatsApp engines a workspace can make active. Chat shows only the active engine's
// conversations.
const (
	EngineCloud      = "cloud"
	EngineTwilio     = "twilio"
	EngineUnofficial = "unofficial"
)

// Workspace is one tenant: a business and everything it owns.
type Workspace struct {
	bun.BaseModel `bun:"table:workspaces,alias:w"`

	ID             string     `bun:"id,pk" json:"id"`
	Slug           string     `bun:"slug,notnull" json:"slug"`
	Name           string     `bun:"name,notnull" json:"name"`
	TimeZone       string     `bun:"time_zone,notnull" json:"time_zone"`
	PlanID         string     `bun:"plan_id,notnull" json:"plan_id"`
	WhatsAppEngine *string    `bun:"whatsapp_engine" json:"whatsapp_engine"`
	SuspendedAt    *time.Time `bun:"suspended_at" json:"suspended_at,omitempty"`
	CreatedAt      time.Time  `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at,notnull" json:"updated_at"`
}

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)
	idShaped    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// reservedSlugs would collide with words the web app uses in its URLs.
var reservedSlugs = map[string]bool{"new": true, "settings": true, "operator": true, "api": true, "admin": true}

// ValidSlug reports why slug cannot name a workspace, or "" when it can.
func ValidSlug(slug string) string {
	switch {
	case !slugPattern.MatchString(slug):
		return "must be 1–40 lowercase letters, digits or dashes, not starting or ending with a dash"
	case reservedSlugs[slug]:
		return "is reserved"
	case idShaped.MatchString(slug):
		// Routes accept a slug or an id in the same place; keeping the two sets apart
		// means a slug can never name another workspace's id.
		return "must not look like a workspace id"
	}
	return ""
}

// Slugify turns a workspace name into a candidate slug.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(name)) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case unicode.Is(unicode.Mn, r):
			// accents decomposed by NFKD are dropped: "Café" → "cafe"
		default:
			if b.Len() > 0 && !dash {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "workspace"
	}
	return s
}

// ValidTimeZone reports whether tz is an IANA zone name.
func ValidTimeZone(tz string) bool {
	if tz == "" || tz == "Local" {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}

// Location is the workspace's time zone (UTC when it names none this machine
// knows): the one its business hours and schedules are read in.
func (w Workspace) Location() *time.Location {
	if loc, err := time.LoadLocation(w.TimeZone); err == nil && w.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// NewWorkspace describes a workspace to create.
type NewWorkspace struct {
	Name     string
	Slug     string // derived from Name when empty
	TimeZone string // UTC when empty
	PlanCode string // the default plan when empty
}

// CreateWorkspace inserts a workspace. Run it in the transaction that also adds its
// first admin, so a workspace never exists without one.
func CreateWorkspace(ctx context.Context, db bun.IDB, in NewWorkspace) (Workspace, error) {
	fields := failure.Fields{}
	in.Name = strings.TrimSpace(in.Name)
	fields.Check(in.Name == "", "name", "is required")
	fields.Check(len(in.Name) > 100, "name", "must be at most 100 characters")
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	fields.Check(!ValidTimeZone(in.TimeZone), "time_zone", "is not a known time zone")
	explicitSlug := in.Slug != ""
	if explicitSlug {
		if why := ValidSlug(in.Slug); why != "" {
			fields.Add("slug", why)
		}
	}
	if err := fields.Err(); err != nil {
		return Workspace{}, err
	}
	plan, err := PlanByCode(ctx, db, in.PlanCode)
	if err != nil {
		return Workspace{}, err
	}
	slug := in.Slug
	if !explicitSlug {
		slug, err = freeSlug(ctx, db, Slugify(in.Name))
		if err != nil {
			return Workspace{}, err
		}
	}
	now := time.Now().UTC()
	ws := Workspace{ID: storage.NewID(), Slug: slug, Name: in.Name, TimeZone: in.TimeZone, PlanID: plan.ID, CreatedAt: now, UpdatedAt: now}
	if _, err := db.NewInsert().Model(&ws).Exec(ctx); err != nil {
		if storage.IsUniqueViolation(err) {
			return Workspace{}, ErrSlugTaken
		}
		return Workspace{}, fmt.Errorf("tenants: create workspace: %w", err)
	}
	return ws, nil
}

// freeSlug returns base, or base with the smallest numeric suffix not in use.
func freeSlug(ctx context.Context, db bun.IDB, base string) (string, error) {
	if reservedSlugs[base] {
		base += "-team"
	}
	// A suffixed slug must stay within 40 characters, so a long base is cut to make
	// room (see below); the lookup then covers the cut forms too.
	like := base + "-%"
	if len(base) > 30 {
		like = base[:30] + "%"
	}
	var taken []string
	err := db.NewSelect().Model((*Workspace)(nil)).Column("slug").
		Where("slug = ? OR slug LIKE ?", base, like).Scan(ctx, &taken)
	if err != nil {
		return "", fmt.Errorf("tenants: slug lookup: %w", err)
	}
	used := map[string]bool{}
	for _, s := range taken {
		used[s] = true
	}
	if !used[base] {
		return base, nil
	}
	for i := 2; ; i++ {
		suffix := fmt.Sprintf("-%d", i)
		s := strings.TrimRight(base[:min(len(base), 40-len(suffix))], "-") + suffix
		if !used[s] {
			return s, nil
		}
	}
}

// WorkspaceUpdate is a partial change to a workspace's settings.
type WorkspaceUpdate struct {
	Name           *string
	TimeZone       *string
	WhatsAppEngine *string
}

// UpdateWorkspace applies a settings change made by the workspace's admin.
func UpdateWorkspace(ctx context.Context, db bun.IDB, ws Workspace, in WorkspaceUpdate) (Workspace, error) {
	fields := failure.Fields{}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		fields.Check(name == "", "name", "is required")
		fields.Check(len(name) > 100, "name", "must be at most 100 characters")
		ws.Name = name
	}
	if in.TimeZone != nil {
		fields.Check(!ValidTimeZone(*in.TimeZone), "time_zone", "is not a known time zone")
		ws.TimeZone = *in.TimeZone
	}
	if in.WhatsAppEngine != nil {
		switch *in.WhatsAppEngine {
		case EngineCloud, EngineTwilio, EngineUnofficial:
			e := *in.WhatsAppEngine
			ws.WhatsAppEngine = &e
		case "":
			ws.WhatsAppEngine = nil
		default:
			fields.Add("whatsapp_engine", "must be cloud, twilio or unofficial")
		}
	}
	if err := fields.Err(); err != nil {
		return ws, err
	}
	ws.UpdatedAt = time.Now().UTC()
	_, err := db.NewUpdate().Model(&ws).Column("name", "time_zone", "whatsapp_engine", "updated_at").WherePK().Exec(ctx)
	return ws, err
}

// Resolve finds the workspace named by ref (its slug or id) together with the
// membership of userID in it. A workspace the user is not a member of is reported as
// not found, so its existence is not confirmed.
func Resolve(ctx context.Context, db bun.IDB, ref, userID string) (Workspace, Membership, error) {
	var row struct {
		Workspace  `bun:"w,extend"`
		MRole      string    `bun:"m_role"`
		MID        string    `bun:"m_id"`
		MCreatedAt time.Time `bun:"m_created_at"`
	}
	err := db.NewSelect().Model(&row).
		ColumnExpr("w.*").
		ColumnExpr("m.id AS m_id, m.role AS m_role, m.created_at AS m_created_at").
		Join("JOIN memberships AS m ON m.workspace_id = w.id AND m.user_id = ?", userID).
		Where("w.slug = ? OR w.id = ?", ref, ref).
		// A slug may look like an id (even another workspace's): the id match wins.
		OrderExpr("CASE WHEN w.id = ? THEN 0 ELSE 1 END", ref).
		Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return Workspace{}, Membership{}, ErrWorkspaceNotFound
	}
	if err != nil {
		return Workspace{}, Membership{}, fmt.Errorf("tenants: resolve: %w", err)
	}
	m := Membership{ID: row.MID, UserID: userID, Role: policies.Role(row.MRole), CreatedAt: row.MCreatedAt}
	m.WorkspaceID = row.Workspace.ID
	return row.Workspace, m, nil
}

// ByRef loads a workspace by slug or id, with no membership check (API tokens carry
// their own workspace; the operator sees every workspace).
func ByRef(ctx context.Context, db bun.IDB, ref string) (Workspace, error) {
	var ws Workspace
	// A slug may look like an id (even another workspace's): the id match wins.
	err := db.NewSelect().Model(&ws).Where("slug = ? OR id = ?", ref, ref).
		OrderExpr("CASE WHEN id = ? THEN 0 ELSE 1 END", ref).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return ws, ErrWorkspaceNotFound
	}
	return ws, err
}
