package media

import (
	"net/url"
	"strconv"
	"time"
)

// Signer signs and checks links (secretbox.Box).
type Signer interface {
	Sign(purpose string, msg []byte) string
	Verify(purpose string, msg []byte, sig string) bool
}

// Links makes and checks the links a provider fetches an uploaded file by: WhatsApp
// and Twilio take media as a public URL, which they fetch without our credentials.
// A link names the workspace and the file and is signed with an expiry, so it opens
// that one file, for a while, and guessing ids opens nothing.
type Links struct {
	Signer  Signer
	BaseURL string // how providers reach this server (config public_url)
}

// LinkTTL is how long a link opens its file. A provider fetches the file as it takes
// the message (WhatsApp within seconds, Twilio before it answers) and again on its
// own retries; every send attempt makes a new link.
const LinkTTL = 24 * time.Hour

// LinkPath is the public route's path, with its parameters.
const LinkPath = "/media/:workspace_id/:file/:name"

const linkPurpose = "media link"

// URL is the link to the workspace's file id, valid for LinkTTL from now. The file's
// name ends the path, for providers that name a document after it.
func (l Links) URL(workspaceID, id, filename string, now time.Time) string {
	exp := strconv.FormatInt(now.Add(LinkTTL).Unix(), 10)
	q := url.Values{"expires": {exp}, "signature": {l.Signer.Sign(linkPurpose, linkMessage(workspaceID, id, exp))}}
	return l.BaseURL + "/media/" + url.PathEscape(workspaceID) + "/" + url.PathEscape(id) + "/" +
		url.PathEscape(filename) + "?" + q.Encode()
}

// Check reports whether a link's parts are one URL made, not expired at now.
func (l Links) Check(workspaceID, fileID, expires, signature string, now time.Time) bool {
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || now.Unix() > exp {
		return false
	}
	return l.Signer.Verify(linkPurpose, linkMessage(workspaceID, fileID, expires), signature)
}

func linkMessage(workspaceID, fileID, expires string) []byte {
	return []byte(workspaceID + "\x00" + fileID + "\x00" + expires)
}
