package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/policies"
)

// contactArea is the workspace's address book: the customers its conversations are
// with, created as they write in or are written to.
type contactArea struct{ s *Server }

// ContactQuery are the contact list's query parameters.
type ContactQuery struct {
	PageQuery
	Q string `query:"q" doc:"case-insensitive match on the name, phone number or email address"`
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
	r.Add(Route{Method: http.MethodGet, Path: p + "/:contact", Access: InWorkspace, Permission: policies.ContactsRead,
		Summary: "A contact", Tag: "contacts", Response: messaging.Contact{}}, a.get)
	r.Add(Route{Method: http.MethodPatch, Path: p + "/:contact", Access: InWorkspace, Permission: policies.ContactsManage,
		Summary: "Edit a contact: name, email, custom attributes, opt-out, WhatsApp consent", Tag: "contacts",
		Request: ContactUpdate{}, Response: messaging.Contact{}}, a.update)
}

func (a contactArea) list(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	rows, next, err := messaging.Contacts(c.UserContext(), scoped(c, a.s), messaging.ContactQuery{Q: c.Query("q")}, p)
	if err != nil {
		return err
	}
	return list(c, rows, next)
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
