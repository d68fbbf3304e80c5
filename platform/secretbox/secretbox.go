// Package secretbox encrypts channel credentials at rest with AES-256-GCM. Every
// sealed value names the key that sealed it, so keys can be rotated: new values use
// the current key while older ones still open with the retired keys kept in the ring.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is where a generated key is kept inside the data dir.
const KeyFile = "secret.key"

// ErrUnknownKey means a value was sealed with a key the ring does not hold.
var ErrUnknownKey = errors.New("secretbox: sealed with a key that is not configured")

// Box seals with its current key and opens with any key of its ring.
type Box struct {
	currentID string
	keys      map[string]cipher.AEAD
	macKeys   map[string][]byte // by key id, for Sign and Verify
}

// ParseKey decodes a base64 32-byte key.
func ParseKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("secretbox: the secret key must be 32 bytes in base64 (generate one with: head -c32 /dev/urandom | base64)")
	}
	return k, nil
}

// KeyID names a key without revealing it: the first 8 hex digits of its SHA-256.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// New builds a box sealing with current and also opening values sealed by retired.
func New(current []byte, retired ...[]byte) (*Box, error) {
	b := &Box{keys: map[string]cipher.AEAD{}, macKeys: map[string][]byte{}}
	for i, k := range append([][]byte{current}, retired...) {
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %w", err)
		}
		id := KeyID(k)
		b.keys[id] = aead
		// Signing takes a key of its own, derived, so no value is ever both sealed
		// and signed under one key.
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte("switchboard signing key"))
		b.macKeys[id] = mac.Sum(nil)
		if i == 0 {
			b.currentID = id
		}
	}
	return b, nil
}

// CurrentKeyID is the id new values are sealed with.
func (b *Box) CurrentKeyID() string { return b.currentID }

// Seal encrypts plaintext; aad binds it to its owner (e.g. the connection id) so a
// sealed value copied to another row does not open.
func (b *Box) Seal(plaintext, aad []byte) (string, error) {
	aead := b.keys[b.currentID]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := aead.Seal(nonce, nonce, plaintext, aad)
	return "v1:" + b.currentID + ":" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// Open decrypts a value made by Seal with the same aad.
func (b *Box) Open(sealed string, aad []byte) ([]byte, error) {
	parts := strings.SplitN(sealed, ":", 3)
	if len(parts) != 3 || parts[0] != "v1" {
		return nil, errors.New("secretbox: not a sealed value")
	}
	aead, ok := b.keys[parts[1]]
	if !ok {
		return nil, fmt.Errorf("%w (key id %s)", ErrUnknownKey, parts[1])
	}
	raw, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, errors.New("secretbox: corrupt sealed value")
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad)
	if err != nil {
		return nil, errors.New("secretbox: sealed value does not open (tampered, or sealed for another owner)")
	}
	return pt, nil
}

// Sign returns a signature of msg for purpose (which keeps a signature made for one
// use from passing for another), made with the current key: for links the server
// hands out, such as an attachment's for a provider to fetch, and checks when they
// come back.
func (b *Box) Sign(purpose string, msg []byte) string {
	return b.currentID + "." + hex.EncodeToString(b.mac(b.currentID, purpose, msg))
}

// Verify reports whether sig is Sign's signature of msg for purpose, by the current
// key or a retired one (a link handed out before a rotation still works).
func (b *Box) Verify(purpose string, msg []byte, sig string) bool {
	id, sum, ok := strings.Cut(sig, ".")
	got, err := hex.DecodeString(sum)
	if !ok || err != nil || b.macKeys[id] == nil {
		return false
	}
	return hmac.Equal(got, b.mac(id, purpose, msg))
}

func (b *Box) mac(id, purpose string, msg []byte) []byte {
	h := hmac.New(sha256.New, b.macKeys[id])
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write(msg)
	return h.Sum(nil)[:16]
}

// LoadOrCreateKey returns the configured key, or the key kept in dataDir, creating it
// there (mode 0600) on first run. generated reports a key made just now.
func LoadOrCreateKey(configured, dataDir string) (key []byte, generated bool, err error) {
	if configured != "" {
		k, err := ParseKey(configured)
		return k, false, err
	}
	path := filepath.Join(dataDir, KeyFile)
	if data, err := os.ReadFile(path); err == nil {
		k, err := ParseKey(string(data))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("secretbox: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("secretbox: %w", err)
	}
	// O_EXCL: two processes starting together must not each write a different key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreateKey("", dataDir)
	}
	if err != nil {
		return nil, false, fmt.Errorf("secretbox: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		return nil, false, fmt.Errorf("secretbox: %w", err)
	}
	return k, true, nil
}

// SealedKeyID names the key a value was sealed with ("" for a value Seal did not make).
func SealedKeyID(sealed string) string {
	parts := strings.SplitN(sealed, ":", 3)
	if len(parts) != 3 || parts[0] != "v1" {
		return ""
	}
	return parts[1]
}
