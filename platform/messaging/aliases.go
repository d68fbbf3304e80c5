package messaging

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// ContactAlias is another address a contact is known by: the provider's own form of
// the address the workspace writes to them at, which their replies come from.
// WhatsApp names its users by wa_id, which for some countries is not the number
// dialled: a Mexican number written to as +52 and 10 digits answers from +521 and
// the same 10 digits, and a Brazilian mobile may answer without its ninth digit.
//
// Kind is the contact field the address stands for (AddressKind: phone, email,
// messenger_id). An address is one contact's in a workspace; a contact's own
// address comes first in every lookup, so an alias never takes a customer from the
// contact whose address it is.
type ContactAlias struct {
	bun.BaseModel `bun:"table:contact_aliases,alias:ca"`
	tenants.Owned

	Kind      string    `bun:"kind,pk"`
	Address   string    `bun:"address,pk"`
	ContactID string    `bun:"contact_id,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// maxAliasLength bounds what a plugin may have kept as an alias.
const maxAliasLength = 320

// normalizeAddress is how addresses of a contact field are kept and looked up: phone
// numbers in E.164 (as they come, when they cannot be), email addresses in lower case.
func normalizeAddress(field, address string) string {
	switch field {
	case "phone":
		if p, ok := NormalizePhone(address, ""); ok {
			return p
		}
	case "email":
		return strings.ToLower(strings.TrimSpace(address))
	}
	return address
}

// contactAt finds the workspace's contact with address in field, or else the one it
// is an alias of; storage.IsNotFound when neither is.
func contactAt(ctx context.Context, sc tenants.Scoped, field, address string) (Contact, error) {
	var c Contact
	err := sc.Select(&c).Where("?TableAlias.? = ?", bun.Ident(field), address).Limit(1).Scan(ctx)
	if !storage.IsNotFound(err) || address == "" {
		return c, err
	}
	err = sc.Select(&c).
		Join("JOIN contact_aliases AS ca ON ca.workspace_id = ct.workspace_id AND ca.contact_id = ct.id").
		Where("ca.kind = ? AND ca.address = ?", field, address).Limit(1).Scan(ctx)
	return c, err
}

// RecordContactAlias keeps address as another address of contact on channelKind (see
// ContactAlias): the provider's form of the address a message to them went to
// (sdk.SendResult.RecipientAddress), so that their replies, which come from it,
// reach them. Recording it again changes nothing; an alias another contact of the
// workspace had moves to this one, the contact the workspace wrote to last at it.
func RecordContactAlias(ctx context.Context, sc tenants.Scoped, contact Contact, channelKind, address string) error {
	if contact.WorkspaceID != "" && contact.WorkspaceID != sc.WorkspaceID() {
		return fmt.Errorf("messaging: alias for a contact of another workspace")
	}
	field := AddressKind(channelKind)
	address = normalizeAddress(field, strings.TrimSpace(address))
	if address == "" || len(address) > maxAliasLength || address == contact.Address(channelKind) {
		return nil
	}
	now := time.Now().UTC()
	a := ContactAlias{Kind: field, Address: address, ContactID: contact.ID, CreatedAt: now, UpdatedAt: now}
	_, err := sc.Insert(&a).On("CONFLICT (workspace_id, kind, address) DO UPDATE").
		Set("contact_id = EXCLUDED.contact_id").Set("updated_at = EXCLUDED.updated_at").
		Where("?TableAlias.contact_id <> EXCLUDED.contact_id").Exec(ctx)
	if err != nil {
		return fmt.Errorf("messaging: record contact alias: %w", err)
	}
	return nil
}

// whatsAppForms are the other forms of the E.164 number p by which WhatsApp may know
// the same account: Mexico's mobile 1 (+52 and 10 digits is wa_id +521 and the same 10
// digits), and Brazil's ninth digit (a mobile +55 AA 9XXXX-XXXX registered before the
// ninth digit is +55 AA XXXX-XXXX there; only XXXX starting 6 to 9, so never a
// landline's number).
func whatsAppForms(p string) []string {
	d, ok := strings.CutPrefix(p, "+")
	if !ok {
		return nil
	}
	switch {
	case len(d) == 12 && strings.HasPrefix(d, "52"):
		return []string{"+521" + d[2:]}
	case len(d) == 13 && strings.HasPrefix(d, "521"):
		return []string{"+52" + d[3:]}
	case len(d) == 13 && strings.HasPrefix(d, "55") && d[4] == '9' && d[5] >= '6':
		return []string{"+55" + d[2:4] + d[5:]}
	case len(d) == 12 && strings.HasPrefix(d, "55") && d[4] >= '6':
		return []string{"+55" + d[2:4] + "9" + d[4:]}
	}
	return nil
}
