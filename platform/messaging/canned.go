package messaging

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// CannedResponse is a reply the team keeps ready: an agent types "/" and its shortcut
// in the composer and gets its text, with the conversation's details filled in
// ({{first_name}}, {{email}}, {{agent_name}} …: CannedVariables), to edit and send.
type CannedResponse struct {
	bun.BaseModel `bun:"table:canned_responses,alias:canned"`
	tenants.Owned

	ID        string    `bun:"id,pk" json:"id"`
	Shortcut  string    `bun:"shortcut,notnull" json:"shortcut" doc:"what follows / in the composer: lower-case letters, digits, - and _"`
	Title     string    `bun:"title,notnull" json:"title"`
	Category  string    `bun:"category,notnull" json:"category" doc:"groups responses in the picker; empty: none"`
	Body      string    `bun:"body,notnull" json:"body" doc:"at most 4096 characters; may name {{name}}, {{first_name}}, {{last_name}}, {{phone}}, {{email}} (the customer's) and {{agent_name}}"`
	CreatedBy *string   `bun:"created_by" json:"created_by,omitempty"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// CannedVariables are the details a canned response's text may name, filled as it is
// put in the composer: the customer's, and the name of the member writing.
var CannedVariables = []string{"name", "first_name", "last_name", "phone", "email", "agent_name"}

// MaxCanned bounds a workspace's canned responses: a library people pick from, which
// the composer's picker lists whole.
const MaxCanned = 500

// Limits of a canned response's fields, in characters.
const (
	MaxCannedShortcut = 32
	MaxCannedTitle    = 100
	MaxCannedCategory = 50
)

// Errors about canned responses.
var (
	ErrCannedNotFound      = failure.New(failure.NotFound, "canned_response_not_found", "canned response not found")
	ErrCannedShortcutTaken = failure.New(failure.Conflict, "canned_shortcut_taken", "another canned response has this shortcut").
				WithField("shortcut", "is taken by another canned response")
	ErrCannedFull = failure.New(failure.Conflict, "canned_limit", fmt.Sprintf("the workspace keeps at most %d canned responses: delete one first", MaxCanned))
)

var (
	shortcutPattern = regexp.MustCompile(`^[a-z0-9_-]+$`)
	cannedVariable  = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
)

// CannedDraft is a canned response as someone writes it; nil fields of an edit stay.
type CannedDraft struct {
	Shortcut *string
	Title    *string
	Category *string
	Body     *string
}

// apply checks the draft's fields, naming those that are wrong, and sets them on r.
func (d CannedDraft) apply(r *CannedResponse) error {
	bad := failure.Fields{}
	if d.Shortcut != nil {
		s := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*d.Shortcut), "/"))
		switch {
		case s == "":
			bad.Add("shortcut", "is required")
		case utf8.RuneCountInString(s) > MaxCannedShortcut:
			bad.Add("shortcut", fmt.Sprintf("must be at most %d characters", MaxCannedShortcut))
		case !shortcutPattern.MatchString(s):
			bad.Add("shortcut", "may hold only letters a-z, digits, - and _")
		}
		r.Shortcut = s
	}
	if d.Title != nil {
		r.Title = strings.TrimSpace(*d.Title)
		bad.Check(r.Title == "", "title", "is required")
		bad.Check(utf8.RuneCountInString(r.Title) > MaxCannedTitle, "title", fmt.Sprintf("must be at most %d characters", MaxCannedTitle))
	}
	if d.Category != nil {
		r.Category = strings.TrimSpace(*d.Category)
		bad.Check(utf8.RuneCountInString(r.Category) > MaxCannedCategory, "category", fmt.Sprintf("must be at most %d characters", MaxCannedCategory))
	}
	if d.Body != nil {
		r.Body = strings.TrimSpace(*d.Body)
		switch {
		case r.Body == "":
			bad.Add("body", "is required")
		case utf8.RuneCountInString(r.Body) > MaxTextLength:
			bad.Add("body", fmt.Sprintf("must be at most %d characters", MaxTextLength))
		}
		for _, m := range cannedVariable.FindAllStringSubmatch(r.Body, -1) {
			if !slices.Contains(CannedVariables, m[1]) {
				bad.Add("body", fmt.Sprintf("{{%s}} is no detail a response can name: use {{%s}}", m[1], strings.Join(CannedVariables, "}}, {{")))
				break
			}
		}
		if _, ok := bad["body"]; !ok && strings.Contains(cannedVariable.ReplaceAllString(r.Body, ""), "{{") {
			bad.Add("body", "a {{ is not closed: write {{first_name}}")
		}
	}
	return bad.Err()
}

// CreateCanned stores a new canned response; every field but category is required.
func CreateCanned(ctx context.Context, sc tenants.Scoped, d CannedDraft, createdBy string) (CannedResponse, error) {
	for _, f := range []**string{&d.Shortcut, &d.Title, &d.Category, &d.Body} {
		if *f == nil {
			empty := ""
			*f = &empty
		}
	}
	now := time.Now().UTC()
	r := CannedResponse{ID: storage.NewID(), CreatedAt: now, UpdatedAt: now}
	if createdBy != "" {
		r.CreatedBy = &createdBy
	}
	if err := d.apply(&r); err != nil {
		return r, err
	}
	// Counted before the insert: two made at once may pass 500 by one, which the
	// picker bears; the bound is against a library growing without end.
	if n, err := sc.Select((*CannedResponse)(nil)).Count(ctx); err != nil {
		return r, err
	} else if n >= MaxCanned {
		return r, ErrCannedFull
	}
	if _, err := sc.Insert(&r).Exec(ctx); err != nil {
		if storage.IsUniqueViolation(err) {
			return r, ErrCannedShortcutTaken
		}
		return r, err
	}
	return r, nil
}

// GetCanned loads a canned response of the workspace.
func GetCanned(ctx context.Context, sc tenants.Scoped, id string) (CannedResponse, error) {
	var r CannedResponse
	err := sc.Get(ctx, &r, id, ErrCannedNotFound)
	return r, err
}

// UpdateCanned applies an edit.
func UpdateCanned(ctx context.Context, sc tenants.Scoped, r CannedResponse, d CannedDraft) (CannedResponse, error) {
	if err := d.apply(&r); err != nil {
		return r, err
	}
	r.UpdatedAt = time.Now().UTC()
	if _, err := sc.Update(&r).Column("shortcut", "title", "category", "body", "updated_at").WherePK().Exec(ctx); err != nil {
		if storage.IsUniqueViolation(err) {
			return r, ErrCannedShortcutTaken
		}
		return r, err
	}
	return r, nil
}

// DeleteCanned removes a canned response.
func DeleteCanned(ctx context.Context, sc tenants.Scoped, id string) error {
	ok, err := storage.Changed(sc.Delete((*CannedResponse)(nil)).Where("canned.id = ?", id).Exec(ctx))
	if err == nil && !ok {
		return ErrCannedNotFound
	}
	return err
}

// CannedQuery narrows a list of canned responses.
type CannedQuery struct {
	// Q matches the shortcut, title or text, case-insensitively; a shortcut that
	// starts with it comes first.
	Q        string
	Category string
}

// CannedResponses lists the workspace's canned responses by shortcut (those whose
// shortcut starts with the query first), at most limit of them.
func CannedResponses(ctx context.Context, sc tenants.Scoped, f CannedQuery, limit int) ([]CannedResponse, error) {
	rows := []CannedResponse{}
	q := sc.Select(&rows)
	if s := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(f.Q), "/")); s != "" {
		pat := likePattern(s)
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("canned.shortcut LIKE ? ESCAPE '!'", pat).WhereOr("LOWER(canned.title) LIKE ? ESCAPE '!'", pat).
				WhereOr("LOWER(canned.body) LIKE ? ESCAPE '!'", pat)
		})
		q = q.OrderExpr("CASE WHEN canned.shortcut LIKE ? ESCAPE '!' THEN 0 ELSE 1 END", pat[1:]) // starts with s
	}
	if f.Category != "" {
		q = q.Where("canned.category = ?", f.Category)
	}
	err := q.OrderExpr("canned.shortcut").Limit(limit).Scan(ctx)
	return rows, err
}
