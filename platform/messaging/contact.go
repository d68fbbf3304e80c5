// Package messaging is the shared model of conversations: contacts, conversations
// with their status pill and routing, and messages with their status timeline. The
// pipeline (platform/pipeline) moves messages through it; the API reads it.
package messaging

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// ErrContactNotFound is reported for an unknown contact id.
var ErrContactNotFound = failure.New(failure.NotFound, "contact_not_found", "contact not found")

// Contact is a customer of the workspace.
type Contact struct {
	bun.BaseModel `bun:"table:contacts,alias:ct"`
	tenants.Owned

	ID              string            `bun:"id,pk" json:"id"`
	Name            string            `bun:"name,notnull" json:"name"`
	Phone           string            `bun:"phone,notnull" json:"phone" doc:"E.164"`
	Email           string            `bun:"email,notnull" json:"email"`
	MessengerID     string            `bun:"messenger_id,notnull" json:"messenger_id"`
	Attributes      map[string]string `bun:"attributes,notnull" json:"attributes"`
	OptedOut        bool              `bun:"opted_out,notnull" json:"opted_out"`
	WhatsAppConsent bool              `bun:"whatsapp_consent,notnull" json:"whatsapp_consent"`
	CreatedAt       time.Time         `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt       time.Time         `bun:"updated_at,notnull" json:"updated_at"`
}

// keepsLeadingZero are the country codes whose numbers keep their leading 0 after the
// country code: Italy, San Marino and Vatican City dial it from abroad too (Rome
// 06 1234 5678 is +39 06 1234 5678), so it is part of the number, not a trunk prefix.
var keepsLeadingZero = map[string]bool{"39": true, "378": true, "379": true}

// NormalizePhone turns a number as people type it into E.164. A number without a
// leading + (or 00) is national: countryCode (digits, e.g. "44") is put in front and a
// trunk 0 dropped, except where the 0 belongs to the number (keepsLeadingZero). ok is
// false when the result cannot be a phone number.
func NormalizePhone(raw, countryCode string) (string, bool) {
	s := strings.TrimSpace(raw)
	s = strings.TrimPrefix(s, "whatsapp:")
	intl := strings.HasPrefix(s, "+")
	var digits strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsDigit(r) && r < unicode.MaxASCII:
			digits.WriteRune(r)
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", false
		}
	}
	d := digits.String()
	switch {
	case intl:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case countryCode != "":
		cc := strings.TrimLeft(countryCode, "+")
		if strings.Trim(cc, "0123456789") != "" {
			return "", false // a country code is digits ("39"), not a country ("IT")
		}
		if !keepsLeadingZero[cc] {
			d = strings.TrimPrefix(d, "0")
		}
		d = cc + d
	default:
		return "", false
	}
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", false
	}
	return "+" + d, true
}

// AddressKind says which contact field a channel's address goes in.
func AddressKind(channelKind string) string {
	switch channelKind {
	case "email":
		return "email"
	case "messenger":
		return "messenger_id"
	}
	return "phone"
}

// ContactByAddress finds the contact a channel address belongs to, creating it (named
// name, if the provider told us) when the workspace has none. The contact whose own
// address it is comes first, then the one it is an alias of (ContactAlias): a reply
// from a WhatsApp user's wa_id finds the contact written to at the number dialled.
// On WhatsApp a number no contact has also finds the contact known by the number's
// other WhatsApp form (whatsAppForms), which then keeps it as an alias: a customer
// written to as +52 55 1234 5678 before their wa_id was known (or on Twilio, which
// never tells it) who answers from +521 55 1234 5678, and the one who wrote in first
// from it whom an agent writes to as +52 55 1234 5678, are one contact.
func ContactByAddress(ctx context.Context, sc tenants.Scoped, channelKind, address, name string) (Contact, error) {
	field := AddressKind(channelKind)
	address = normalizeAddress(field, address)
	c, err := contactAt(ctx, sc, field, address)
	if storage.IsNotFound(err) && channelKind == "whatsapp" && field == "phone" {
		for _, other := range whatsAppForms(address) {
			if c, err = contactAt(ctx, sc, field, other); err == nil {
				if err := RecordContactAlias(ctx, sc, c, channelKind, address); err != nil {
					return c, err
				}
				break
			}
			if !storage.IsNotFound(err) {
				return c, err
			}
		}
	}
	if err == nil {
		if c.Name == "" && name != "" {
			c.Name = name
			_, err = sc.Update(&c).Column("name").WherePK().Exec(ctx)
		}
		return c, err
	}
	if !storage.IsNotFound(err) {
		return c, err
	}
	now := time.Now().UTC()
	c = Contact{ID: storage.NewID(), Name: name, Attributes: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	switch field {
	case "email":
		c.Email = address
	case "messenger_id":
		c.MessengerID = address
	default:
		c.Phone = address
	}
	if _, err := sc.Insert(&c).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return c, fmt.Errorf("messaging: create contact: %w", err)
	}
	// A concurrent insert may have won; read back whichever row exists.
	err = sc.Select(&c).Where("?TableAlias.? = ?", bun.Ident(field), address).Limit(1).Scan(ctx)
	return c, err
}

// Address is the contact's address on a channel kind.
func (c Contact) Address(channelKind string) string {
	switch AddressKind(channelKind) {
	case "email":
		return c.Email
	case "messenger_id":
		return c.MessengerID
	}
	return c.Phone
}

// SetOptOut records a contact's opt-out (STOP) or opt-in (START).
func SetOptOut(ctx context.Context, sc tenants.Scoped, contactID string, out bool) error {
	_, err := sc.Update((*Contact)(nil)).Set("opted_out = ?", out).Set("updated_at = ?", time.Now().UTC()).
		Where("ct.id = ?", contactID).Exec(ctx)
	return err
}

// optOutWords and optInWords are the keywords carriers and Twilio honour.
var (
	optOutWords = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true, "END": true, "QUIT": true}
	optInWords  = map[string]bool{"START": true, "YES": true, "UNSTOP": true}
)

// OptKeyword reports whether an inbound text is an opt-out (-1) or opt-in (+1) keyword.
func OptKeyword(text string) int {
	w := strings.ToUpper(strings.TrimSpace(text))
	switch {
	case optOutWords[w]:
		return -1
	case optInWords[w]:
		return 1
	}
	return 0
}

// RecordWhatsAppConsent marks that the contact opted in to WhatsApp messages from the
// business, so business-initiated WhatsApp messages to them may be sent.
func RecordWhatsAppConsent(ctx context.Context, sc tenants.Scoped, c Contact) (Contact, error) {
	now := time.Now().UTC()
	if _, err := sc.Update((*Contact)(nil)).Set("whatsapp_consent = ?", true).Set("updated_at = ?", now).
		Where("ct.id = ?", c.ID).Exec(ctx); err != nil {
		return c, err
	}
	c.WhatsAppConsent, c.UpdatedAt = true, now
	return c, nil
}

// ContactQuery filters the workspace's contacts.
type ContactQuery struct {
	// Q matches the name, phone number or email address, case-insensitively.
	Q string
	// Group keeps the members of this group only.
	Group string
}

// Contacts lists the workspace's contacts, newest first, one page at a time.
func Contacts(ctx context.Context, sc tenants.Scoped, f ContactQuery, p storage.Page) ([]Contact, string, error) {
	var rows []Contact
	q := sc.Select(&rows)
	if s := strings.TrimSpace(f.Q); s != "" {
		pat := likePattern(s)
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("LOWER(ct.name) LIKE ? ESCAPE '!'", pat).WhereOr("ct.phone LIKE ? ESCAPE '!'", pat).
				WhereOr("LOWER(ct.email) LIKE ? ESCAPE '!'", pat)
		})
	}
	if f.Group != "" {
		q = q.Where("EXISTS (SELECT 1 FROM contact_group_members AS cgm WHERE cgm.workspace_id = ct.workspace_id AND cgm.group_id = ? AND cgm.contact_id = ct.id)", f.Group)
	}
	if err := p.Apply(q, "ct.id", true).Scan(ctx); err != nil {
		return nil, "", err
	}
	rows, next := storage.NextCursor(rows, p, func(c Contact) string { return c.ID })
	return rows, next, nil
}

// ContactChange is an edit of a contact; nil fields stay as they are.
type ContactChange struct {
	Name            *string
	Email           *string
	Attributes      map[string]string
	OptedOut        *bool
	WhatsAppConsent *bool
}

// ErrEmailTaken is an email address another contact of the workspace already has.
var ErrEmailTaken = failure.New(failure.Conflict, "email_taken", "another contact has this email address").WithField("email", "belongs to another contact")

// UpdateContact applies a change, validating what people typed.
func UpdateContact(ctx context.Context, sc tenants.Scoped, c Contact, ch ContactChange) (Contact, error) {
	bad := failure.Fields{}
	cols := []string{"updated_at"}
	if ch.Name != nil {
		name := strings.TrimSpace(*ch.Name)
		bad.Check(len(name) > 200, "name", "must be at most 200 characters")
		c.Name = name
		cols = append(cols, "name")
	}
	if ch.Email != nil {
		email := strings.ToLower(strings.TrimSpace(*ch.Email))
		at := strings.LastIndexByte(email, '@')
		bad.Check(email != "" && (at < 1 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n,;<>")), "email", "is not an email address")
		c.Email = email
		cols = append(cols, "email")
	}
	if ch.Attributes != nil {
		bad.Check(len(ch.Attributes) > 50, "attributes", "at most 50 attributes")
		for k, v := range ch.Attributes {
			bad.Check(strings.TrimSpace(k) == "" || len(k) > 64, "attributes", "names must be 1 to 64 characters")
			bad.Check(len(v) > 1000, "attributes."+k, "must be at most 1000 characters")
		}
		c.Attributes = ch.Attributes
		cols = append(cols, "attributes")
	}
	if ch.OptedOut != nil {
		c.OptedOut = *ch.OptedOut
		cols = append(cols, "opted_out")
	}
	if ch.WhatsAppConsent != nil {
		c.WhatsAppConsent = *ch.WhatsAppConsent
		cols = append(cols, "whatsapp_consent")
	}
	if err := bad.Err(); err != nil {
		return c, err
	}
	c.UpdatedAt = time.Now().UTC()
	if _, err := sc.Update(&c).Column(cols...).WherePK().Exec(ctx); err != nil {
		if storage.IsUniqueViolation(err) {
			return c, ErrEmailTaken
		}
		return c, err
	}
	return c, nil
}

// NewContact is a contact someone enters by hand.
type NewContact struct {
	Name            string
	Phone           string
	CountryCode     string // digits put in front of a national phone number
	Email           string
	MessengerID     string
	Attributes      map[string]string
	WhatsAppConsent bool
}

// Errors of a contact whose address another contact has.
var (
	ErrPhoneTaken     = failure.New(failure.Conflict, "phone_taken", "another contact has this phone number").WithField("phone", "belongs to another contact")
	ErrMessengerTaken = failure.New(failure.Conflict, "messenger_id_taken", "another contact has this Messenger id").WithField("messenger_id", "belongs to another contact")
)

// CreateContact stores a contact entered by hand: at least one address, each its own
// (a number, email or Messenger id another contact has is a conflict naming it).
func CreateContact(ctx context.Context, sc tenants.Scoped, n NewContact) (Contact, error) {
	now := time.Now().UTC()
	c := Contact{ID: storage.NewID(), Attributes: map[string]string{}, CreatedAt: now, UpdatedAt: now,
		MessengerID: strings.TrimSpace(n.MessengerID)}
	bad := failure.Fields{}
	if raw := strings.TrimSpace(n.Phone); raw != "" {
		p, ok := NormalizePhone(raw, strings.TrimSpace(n.CountryCode))
		bad.Check(!ok, "phone", "is not a phone number (use +country code, or give country_code)")
		c.Phone = p
	}
	bad.Check(len(c.MessengerID) > 200, "messenger_id", "is too long")
	bad.Check(c.Phone == "" && strings.TrimSpace(n.Email) == "" && c.MessengerID == "" && bad["phone"] == "",
		"phone", "a phone number, email address or Messenger id is required")
	if err := bad.Err(); err != nil {
		return c, err
	}
	for _, taken := range []struct {
		column, value string
		err           error
	}{{"phone", c.Phone, ErrPhoneTaken}, {"messenger_id", c.MessengerID, ErrMessengerTaken}} {
		if taken.value == "" {
			continue
		}
		exists, err := sc.Select((*Contact)(nil)).Where("?TableAlias.? = ?", bun.Ident(taken.column), taken.value).Exists(ctx)
		if err != nil {
			return c, err
		}
		if exists {
			return c, taken.err
		}
	}
	err := storage.InTx(ctx, sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		st := sc.With(tx)
		if _, err := st.Insert(&c).Exec(ctx); err != nil {
			if storage.IsUniqueViolation(err) {
				// A concurrent create with the same address won.
				if c.MessengerID != "" && c.Phone == "" {
					return ErrMessengerTaken
				}
				return ErrPhoneTaken
			}
			return err
		}
		ch := ContactChange{Name: &n.Name, Email: &n.Email, Attributes: n.Attributes}
		if n.WhatsAppConsent {
			ch.WhatsAppConsent = &n.WhatsAppConsent
		}
		var err error
		c, err = UpdateContact(ctx, st, c, ch)
		return err
	})
	return c, err
}
