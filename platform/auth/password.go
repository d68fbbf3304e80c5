package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"

	"github.com/switchboardhq/switchboard/platform/config"
)

// Hasher hashes passwords with argon2id and checks them in constant time.
type Hasher struct {
	memoryKiB  uint32
	iterations uint32
	minLength  int
}

// NewHasher takes the cost and minimum length from the auth settings.
func NewHasher(c config.Auth) Hasher {
	return Hasher{memoryKiB: c.PasswordHashing.MemoryKiB, iterations: c.PasswordHashing.Iterations, minLength: c.MinPasswordLen}
}

const (
	argonThreads = 2
	argonKeyLen  = 32
	saltLen      = 16
)

// Hash returns the PHC-style encoding $argon2id$v=19$m=…,t=…,p=…$salt$key.
func (h Hasher) Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, h.iterations, h.memoryKiB, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.memoryKiB, h.iterations, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded. The parameters come from encoded,
// so raising the cost later does not break existing hashes.
func (h Hasher) Verify(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	// argon2 panics on zero passes, lanes or key length: a damaged hash is a mismatch.
	if err1 != nil || err2 != nil || t < 1 || p < 1 || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when an email is unknown, so a sign-in for a missing
// account takes as long as one with a wrong password.
func (h Hasher) dummyHash() string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.memoryKiB, h.iterations, argonThreads,
		enc.EncodeToString(make([]byte, saltLen)), enc.EncodeToString(make([]byte, argonKeyLen)))
}

// commonPasswords are refused whatever their length; attackers try them first.
var commonPasswords = map[string]bool{
	"password123": true, "password1234": true, "1234567890": true, "qwertyuiop": true,
	"123456789012": true, "iloveyou123": true, "administrator": true, "letmein1234": true,
	"passwordpassword": true, "switchboard": true, "switchboard1": true, "welcome1234": true,
}

// CheckStrength returns why password is too weak, or "" when it is acceptable: long
// enough, not a well-known password, not one repeated character, and not the email.
func (h Hasher) CheckStrength(password, email string) string {
	if len([]rune(password)) < h.minLength {
		return fmt.Sprintf("must be at least %d characters", h.minLength)
	}
	if len(password) > 256 {
		return "must be at most 256 characters"
	}
	lower := strings.ToLower(password)
	if commonPasswords[lower] {
		return "is too common"
	}
	if email != "" && (strings.EqualFold(password, email) || strings.EqualFold(password, strings.Split(email, "@")[0])) {
		return "must not be your email address"
	}
	distinct := map[rune]bool{}
	for _, r := range password {
		distinct[unicode.ToLower(r)] = true
	}
	if len(distinct) < 4 {
		return "must use more than a few different characters"
	}
	return ""
}
