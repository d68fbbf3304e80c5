package secretbox

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenRotation(t *testing.T) {
	oldKey := bytes.Repeat([]byte{1}, 32)
	newKey := bytes.Repeat([]byte{2}, 32)
	old, err := New(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Seal([]byte("token-123"), []byte("conn_a"))
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := New(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rotated.Open(sealed, []byte("conn_a"))
	if err != nil || string(got) != "token-123" {
		t.Fatalf("open after rotation = %q, %v", got, err)
	}
	if _, err := rotated.Open(sealed, []byte("conn_b")); err == nil {
		t.Fatal("a value sealed for one owner opened for another")
	}
	onlyNew, _ := New(newKey)
	if _, err := onlyNew.Open(sealed, []byte("conn_a")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("open with retired key dropped = %v, want ErrUnknownKey", err)
	}
	resealed, _ := rotated.Seal([]byte("x"), nil)
	if want := "v1:" + KeyID(newKey) + ":"; resealed[:len(want)] != want {
		t.Fatalf("new values must use the current key: %s", resealed)
	}
}

// TestSignVerify: a signature checks for its purpose and message only, by the key
// that made it while the ring holds it, and is nothing like the sealing key's.
func TestSignVerify(t *testing.T) {
	oldKey := bytes.Repeat([]byte{1}, 32)
	newKey := bytes.Repeat([]byte{2}, 32)
	old, _ := New(oldKey)
	sig := old.Sign("media", []byte("file-1|100"))
	if !old.Verify("media", []byte("file-1|100"), sig) {
		t.Fatal("a signature did not verify with the key that made it")
	}
	// The signature with its last hex digit changed.
	last := "0"
	if strings.HasSuffix(sig, "0") {
		last = "1"
	}
	for _, tc := range []struct{ purpose, msg, sig string }{
		{"media", "file-1|101", sig}, {"other", "file-1|100", sig},
		{"media", "file-1|100", sig[:len(sig)-1] + last}, {"media", "file-1|100", ""}, {"media", "file-1|100", "zz.00"},
	} {
		if old.Verify(tc.purpose, []byte(tc.msg), tc.sig) {
			t.Errorf("Verify(%q, %q, %q) passed", tc.purpose, tc.msg, tc.sig)
		}
	}
	rotated, _ := New(newKey, oldKey)
	if !rotated.Verify("media", []byte("file-1|100"), sig) {
		t.Error("a signature made before a rotation did not verify with the retired key")
	}
	if now := rotated.Sign("media", []byte("file-1|100")); now == sig || now[:8] != KeyID(newKey) {
		t.Errorf("after a rotation Sign = %q, want the current key's", now)
	}
	onlyNew, _ := New(newKey)
	if onlyNew.Verify("media", []byte("file-1|100"), sig) {
		t.Error("a signature verified after its key left the ring")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	k1, generated, err := LoadOrCreateKey("", dir)
	if err != nil || !generated || len(k1) != 32 {
		t.Fatalf("first run: %v generated=%v len=%d", err, generated, len(k1))
	}
	info, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", info.Mode(), err)
	}
	k2, generated, err := LoadOrCreateKey("", dir)
	if err != nil || generated || !bytes.Equal(k1, k2) {
		t.Fatalf("second run must reuse the key: %v generated=%v", err, generated)
	}
	if _, _, err := LoadOrCreateKey("not-base64!", dir); err == nil {
		t.Fatal("a malformed configured key was accepted")
	}
}
