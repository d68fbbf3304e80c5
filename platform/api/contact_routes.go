package api

import (
	"context"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
)

// contactArea is the workspace's address book: the customers its conversations are
// with, created as they write in or are written to.
type contactArea struct{ s *Server }

// ContactQuery are the contact list's query parameters.
type ContactQuery struct {
	PageQuery
	Q     string `query:"q" doc:"case-insensitive match on the name, phone number or email address"`
	Group string `query:"group" doc:"a group id: its members only"`
}

// GroupRequest names a group and, on creation, may fill it.
type GroupRequest struct {
	Name       string   `json:"name"`
	ContactIDs []string `json:"contact_ids,omitempty" doc:"contacts to put in the new group"`
}

// GroupMembersRequest adds contacts to a group.
type GroupMembersRequest struct {
	ContactIDs []string `json:"contact_ids"`
}

// ContactCreate is a contact entered by hand: at least one of phone, email and
// messenger_id.
type ContactCreate struct {
	Name            string            `json:"name,omitempty"`
	Phone           string            `json:"phone,omitempty" doc:"with its country code (+44…), or national with country_code"`
	CountryCode     string            `json:"country_code,omitempty" doc:"digits put in front of a national phone number, e.g. 44"`
	Email           string            `json:"email,omitempty"`
	MessengerID     string            `json:"messenger_id,omitempty"`
	Attributes      map[string]string `json:"attributes,omitempty"`
	WhatsAppConsent bool              `json:"whatsapp_consent,omitempty" doc:"the customer opted in to WhatsApp messages the business starts"`
}

// ContactUpdate edits a contact; fields left out stay as they are.
type ContactUpdate struct {
	Name            *string           `json:"name,omitempty"`
	Email           *string           `json:"email,omitempty" doc:"empty removes it"`
	Attributes      map[string]string `json:"attributes,omitempty" doc:"replaces all custom attributes"`
	OptedOut        *bool             `json:"opted_out,omitempty" doc:"the customer asked for no more messages; sends to them fail"`
	WhatsAppConsent *bool             `json:"whatsapp_consent,omitempty" doc:"the customer opted in to WhatsApp messages the business starts"`
}

func (a contactArea) Register(r *Router) {
	p := WorkspacePrefix + "/contacts"
	r.Add(Route{Method: http.MethodGet, Path: p, Access: InWorkspace, Permission: policies.ContactsRead,
		Summary: "Contacts, newest first", Tag: "contacts", Query: ContactQuery{}, Response: List[messaging.Contact]{}}, a.list)
	r.Add(Route{Method: http.MethodPost, Path: p, Access: InWorkspace, Permission: policies.ContactsManage,
		Summary: "Add a contact by hand", Tag: "contacts", Request: ContactCreate{}, Response: messaging.Contact{}, Status: http.StatusCreated}, a.create)
	r.Add(Route{Method: http.MethodGet, Path: p + "/:contact", Access: InWorkspace, Permission: policies.ContactsRead,
		Summary: "A contact", Tag: "contacts", Response: messaging.Contact{}}, a.get)
	r.Add(Route{Method: http.MethodPatch, Path: p + "/:contact", Access: InWorkspace, Permission: policies.ContactsManage,
		Summary: "Edit a contact: name, email, custom attributes, opt-out, WhatsApp consent", Tag: "contacts",
		Request: ContactUpdate{}, Response: messaging.Contact{}}, a.update)

	g := WorkspacePrefix + "/contact-groups"
	r.Add(Route{Method: http.MethodGet, Path: g, Access: InWorkspace, Permission: policies.ContactsRead,
		Summary: "Contact groups, with their member counts", Tag: "contacts", Query: PageQuery{}, Response: List[messaging.Group]{}}, a.groups)
	r.Add(Route{Method: http.MethodPost, Path: g, Access: InWorkspace, Permission: policies.ContactsManage,
		Summary: "Make a contact group, optionally with its first members", Tag: "contacts",
		Request: GroupRequest{}, Response: messaging.Group{}, Status: http.StatusCreated}, a.createGroup)
	r.Add(Route{Method: http.MethodGet, Path: g + "/:group", Access: InWorkspace, Permission: policies.ContactsRead,
		Summary: "A contact group (its members: GET …/contacts?group=)", Tag: "contacts", Response: messaging.Group{}}, a.getGroup)
	r.Add(Route{Method: http.MethodPatch, Path: g + "/:group", Access: InWorkspace, Permission: policies.ContactsManage,
		Summary: "Rename a contact group", Tag: "contacts", Request: GroupRequest{}, Response: messaging.Group{}}, a.renameGroup)
	r.Add(Route{Method: http.MethodDelete, Path: g + "/:group", Access: InWorkspace, Permission: policies.ContactsManage,
		Summary: "Delete a contact group (its contacts stay)", Tag: "contacts", Status: http.StatusNoContent}, a.deleteGroup)
	r.Add(Route{Method: http.MethodPost, Path: g + "/:group/members", Access: InWorkspace, Permission: policies.ContactsManage,
		Summary: "Add contacts to a group", Tag: "contacts", Request: GroupMembersRequest{}, Response: messaging.Group{}}, a.addMembers)
	r.Add(Route{Method: http.MethodDelete, Path: g + "/:group/members/:contact", Access: InWorkspace, Permission: policies.ContactsManage,
		Summary: "Take a contact out of a group", Tag: "contacts", Status: http.StatusNoContent}, a.removeMember)
}

func (a contactArea) group(c *fiber.Ctx) (messaging.Group, error) {
	return messaging.GetGroup(c.UserContext(), scoped(c, a.s), c.Params("group"))
}

func (a contactArea) groups(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	rows, next, err := messaging.Groups(c.UserContext(), scoped(c, a.s), p)
	if err != nil {
		return err
	}
	return list(c, rows, next)
}

func (a contactArea) createGroup(c *fiber.Ctx) error {
	var req GroupRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx, sc := c.UserContext(), scoped(c, a.s)
	var g messaging.Group
	err := storage.InTx(ctx, sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		st := sc.With(tx)
		var err error
		if g, err = messaging.CreateGroup(ctx, st, req.Name); err != nil || len(req.ContactIDs) == 0 {
			return err
		}
		return messaging.AddToGroup(ctx, st, g.ID, req.ContactIDs)
	})
	if err != nil {
		return err
	}
	if g, err = messaging.GetGroup(ctx, sc, g.ID); err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(g)
}

func (a contactArea) getGroup(c *fiber.Ctx) error {
	g, err := a.group(c)
	if err != nil {
		return err
	}
	return c.JSON(g)
}

func (a contactArea) renameGroup(c *fiber.Ctx) error {
	var req GroupRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	g, err := a.group(c)
	if err != nil {
		return err
	}
	if g, err = messaging.RenameGroup(c.UserContext(), scoped(c, a.s), g, req.Name); err != nil {
		return err
	}
	return c.JSON(g)
}

func (a contactArea) deleteGroup(c *fiber.Ctx) error {
	if err := messaging.DeleteGroup(c.UserContext(), scoped(c, a.s), c.Params("group")); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

func (a contactArea) addMembers(c *fiber.Ctx) error {
	var req GroupMembersRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	g, err := a.group(c)
	if err != nil {
		return err
	}
	ctx, sc := c.UserContext(), scoped(c, a.s)
	if err := messaging.AddToGroup(ctx, sc, g.ID, req.ContactIDs); err != nil {
		return err
	}
	if g, err = messaging.GetGroup(ctx, sc, g.ID); err != nil {
		return err
	}
	return c.JSON(g)
}

func (a contactArea) removeMember(c *fiber.Ctx) error {
	g, err := a.group(c)
	if err != nil {
		return err
	}
	if err := messaging.RemoveFromGroup(c.UserContext(), scoped(c, a.s), g.ID, c.Params("contact")); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

func (a contactArea) list(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	if g := c.Query("group"); g != "" {
		// Another workspace's group is not found, like a missing one.
		if _, err := messaging.GetGroup(c.UserContext(), scoped(c, a.s), g); err != nil {
			return err
		}
	}
	rows, next, err := messaging.Contacts(c.UserContext(), scoped(c, a.s), messaging.ContactQuery{Q: c.Query("q"), Group: c.Query("group")}, p)
	if err != nil {
		return err
	}
	return list(c, rows, next)
}

func (a contactArea) create(c *fiber.Ctx) error {
	var req ContactCreate
	if err := decode(c, &req); err != nil {
		return err
	}
	ct, err := messaging.CreateContact(c.UserContext(), scoped(c, a.s), messaging.NewContact{Name: req.Name, Phone: req.Phone,
		CountryCode: req.CountryCode, Email: req.Email, MessengerID: req.MessengerID, Attributes: req.Attributes, WhatsAppConsent: req.WhatsAppConsent})
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(ct)
}

func (a contactArea) contact(c *fiber.Ctx) (messaging.Contact, error) {
	var ct messaging.Contact
	err := scoped(c, a.s).Get(c.UserContext(), &ct, c.Params("contact"), messaging.ErrContactNotFound)
	return ct, err
}

func (a contactArea) get(c *fiber.Ctx) error {
	ct, err := a.contact(c)
	if err != nil {
		return err
	}
	return c.JSON(ct)
}

func (a contactArea) update(c *fiber.Ctx) error {
	var req ContactUpdate
	if err := decode(c, &req); err != nil {
		return err
	}
	ct, err := a.contact(c)
	if err != nil {
		return err
	}
	ct, err = messaging.UpdateContact(c.UserContext(), scoped(c, a.s), ct, messaging.ContactChange{Name: req.Name, Email: req.Email,
		Attributes: req.Attributes, OptedOut: req.OptedOut, WhatsAppConsent: req.WhatsAppConsent})
	if err != nil {
		return err
	}
	return c.JSON(ct)
}
