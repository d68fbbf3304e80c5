// Package policies decides who may do what in a workspace: the four roles, the
// permission names routes declare, and a Casbin enforcer built from the embedded
// model and default policy plus each workspace's overrides.
package policies

// Role is a member's role in one workspace.
type Role string

// The roles, most powerful first. Their permissions are in policy.csv.
const (
	Admin   Role = "admin"
	Manager Role = "manager"
	Agent   Role = "agent"
	Viewer  Role = "viewer"
)

// Roles lists every role, most powerful first.
func Roles() []Role { return []Role{Admin, Manager, Agent, Viewer} }

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool {
	switch r {
	case Admin, Manager, Agent, Viewer:
		return true
	}
	return false
}

func (r Role) rank() int {
	switch r {
	case Admin:
		return 4
	case Manager:
		return 3
	case Agent:
		return 2
	case Viewer:
		return 1
	}
	return 0
}

// AtLeast reports whether r includes everything other may do.
func (r Role) AtLeast(other Role) bool { return r.rank() >= other.rank() }

// Permission is a stable operation name, "area:operation".
type Permission string

// The permissions routes declare. policy.csv grants them to roles.
const (
	WorkspaceRead       Permission = "workspace:read"
	WorkspaceManage     Permission = "workspace:manage"
	MembersRead         Permission = "members:read"
	MembersManage       Permission = "members:manage"
	TokensManage        Permission = "tokens:manage"
	BillingRead         Permission = "billing:read"
	BillingManage       Permission = "billing:manage"
	ChannelsRead        Permission = "channels:read"
	ChannelsManage      Permission = "channels:manage"
	AccessManage        Permission = "access:manage"
	ChatRead            Permission = "chat:read"
	ChatSend            Permission = "chat:send"
	ConversationsRead   Permission = "conversations:read"
	ConversationsReply  Permission = "conversations:reply"
	ConversationsAccept Permission = "conversations:accept"
	ConversationsAssign Permission = "conversations:assign"
	ConversationsDelete Permission = "conversations:delete"
	ContactsRead        Permission = "contacts:read"
	ContactsManage      Permission = "contacts:manage"
	TemplatesRead       Permission = "templates:read"
	TemplatesManage     Permission = "templates:manage"
	CannedRead          Permission = "canned:read"
	CannedManage        Permission = "canned:manage"
	ReportsRead         Permission = "reports:read"
)

// Permissions lists every permission, for the API and the policy tests.
func Permissions() []Permission {
	return []Permission{
		WorkspaceRead, WorkspaceManage, MembersRead, MembersManage, TokensManage,
		BillingRead, BillingManage, ChannelsRead, ChannelsManage, AccessManage,
		ChatRead, ChatSend, ConversationsRead, ConversationsReply, ConversationsAccept,
		ConversationsAssign, ConversationsDelete, ContactsRead, ContactsManage, TemplatesRead, TemplatesManage,
		CannedRead, CannedManage, ReportsRead,
	}
}

// Known reports whether p is a declared permission.
func (p Permission) Known() bool {
	for _, q := range Permissions() {
		if q == p {
			return true
		}
	}
	return false
}
