package auth_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/queue"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
)

// hasher builds a Hasher with the given cost and minimum length.
func hasher(memoryKiB, iterations uint32, minLen int) auth.Hasher {
	return auth.NewHasher(config.Auth{MinPasswordLen: minLen, PasswordHashing: config.Hashing{MemoryKiB: memoryKiB, Iterations: iterations}})
}

func TestHasherRoundTrip(t *testing.T) {
	t.Parallel()
	h := hasher(1024, 1, 10)
	const pw = "correct horse battery staple"
	hash, err := h.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=2$") {
		t.Errorf("hash %q is not a PHC argon2id string with the configured cost", hash)
	}
	if !h.Verify(hash, pw) {
		t.Error("Verify(hash, password) = false")
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", pw + " "} {
		if h.Verify(hash, wrong) {
			t.Errorf("Verify accepted %q", wrong)
		}
	}
	again, err := h.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if again == hash {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !h.Verify(again, pw) {
		t.Error("second hash does not verify")
	}
}

func TestHasherVerifiesOtherCosts(t *testing.T) {
	t.Parallel()
	old, current := hasher(1024, 1, 10), hasher(2048, 2, 10)
	hash, err := old.Hash("an older password")
	if err != nil {
		t.Fatal(err)
	}
	if !current.Verify(hash, "an older password") {
		t.Error("a hash made with other cost parameters does not verify")
	}
	if current.Verify(hash, "another password") {
		t.Error("wrong password verified against an old-cost hash")
	}
}

func TestHasherRejectsTamperedHashes(t *testing.T) {
	t.Parallel()
	h := hasher(1024, 1, 10)
	const pw = "correct horse battery staple"
	hash, err := h.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(hash, "$") // "", argon2id, v=19, m=…,t=…,p=…, salt, key
	flip := func(s string) string {
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tampered := map[string]string{
		"key changed":      with(5, flip(parts[5])),
		"salt changed":     with(4, flip(parts[4])),
		"memory changed":   with(3, "m=2048,t=1,p=2"),
		"passes changed":   with(3, "m=1024,t=2,p=2"),
		"lanes changed":    with(3, "m=1024,t=1,p=1"),
		"zero passes":      with(3, "m=1024,t=0,p=2"),
		"zero lanes":       with(3, "m=1024,t=1,p=0"),
		"key truncated":    with(5, parts[5][:10]),
		"empty key":        with(5, ""),
		"bad base64":       with(5, "!!!!"),
		"other algorithm":  with(1, "argon2i"),
		"bad params":       with(3, "m=x,t=1,p=2"),
		"missing part":     strings.Join(parts[:5], "$"),
		"extra part":       hash + "$x",
		"empty":            "",
		"plain password":   pw,
		"bcrypt-looking":   "$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
		"trailing garbage": hash + "x",
	}
	for name, enc := range tampered {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: Verify panicked: %v", name, r)
				}
			}()
			if h.Verify(enc, pw) {
				t.Errorf("%s: Verify(%q) = true", name, enc)
			}
		}()
	}
}

func TestCheckStrength(t *testing.T) {
	t.Parallel()
	h := hasher(1024, 1, 10)
	tests := []struct {
		password, email string
		want            string // part of the reason; "" when acceptable
	}{
		{"correct horse battery staple", "ada@example.com", ""},
		{"Tr0ub4dor&3x", "", ""},
		{"日本語のパスワードです", "", ""},
		{"short", "", "at least 10"},
		{"123456789", "", "at least 10"},
		{"ééééééééé", "", "at least 10"}, // 9 runes, 18 bytes: runes count
		{strings.Repeat("ab1!", 64) + "x", "", "at most 256"},
		{"password123", "", "too common"},
		{"PassWord123", "", "too common"},
		{"switchboard1", "", "too common"},
		{"ada.lovelace@example.com", "ada.lovelace@example.com", "email"},
		{"ADA.LOVELACE@example.com", "ada.lovelace@example.com", "email"},
		{"ada.lovelace", "ada.lovelace@example.com", "email"},
		{"aaaaaaaaaaaa", "", "different characters"},
		{"abababababab", "", "different characters"},
		{"AbcAbcAbcAbc", "", "different characters"},
		{"abcdabcdabcd", "", ""},
	}
	for _, tt := range tests {
		got := h.CheckStrength(tt.password, tt.email)
		if (got == "") != (tt.want == "") || !strings.Contains(got, tt.want) {
			t.Errorf("CheckStrength(%q, %q) = %q, want %q", tt.password, tt.email, got, tt.want)
		}
	}
	if got := hasher(1024, 1, 12).CheckStrength("abcdefghijk", ""); !strings.Contains(got, "at least 12") {
		t.Errorf("minimum length is not taken from the settings: %q", got)
	}
}

// redisClient is the test Redis, or an embedded one when none is configured.
func redisClient(t *testing.T) redis.UniversalClient {
	t.Helper()
	b, err := queue.Open(context.Background(), os.Getenv(testapp.EnvRedis))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.Redis
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := redisClient(t)
	th := auth.NewThrottle(rdb, time.Minute)
	ip := auth.ThrottleKey{Name: "test:ip:" + storage.NewID(), Limit: 3}
	acct := auth.ThrottleKey{Name: "test:account:" + storage.NewID(), Limit: 5}
	t.Cleanup(func() { th.Reset(context.Background(), ip, acct) })

	blocked := func() time.Duration {
		t.Helper()
		d, err := th.Blocked(ctx, ip, acct)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := blocked(); d != 0 {
		t.Fatalf("fresh keys blocked for %v", d)
	}
	for i := 1; i <= 3; i++ {
		if d := blocked(); d != 0 {
			t.Fatalf("blocked for %v after %d failures (limit 3)", d, i-1)
		}
		if err := th.Fail(ctx, ip, acct); err != nil {
			t.Fatal(err)
		}
	}
	d := blocked()
	if d <= 0 || d > time.Minute {
		t.Fatalf("after 3 failures Blocked = %v, want (0, 1m]", d)
	}
	// The window starts at the first failure; later failures do not extend it.
	ttl := rdb.PTTL(ctx, "switchboard:throttle:"+ip.Name).Val()
	if err := th.Fail(ctx, ip); err != nil {
		t.Fatal(err)
	}
	if ttl2 := rdb.PTTL(ctx, "switchboard:throttle:"+ip.Name).Val(); ttl2 > ttl {
		t.Errorf("a failure extended the window from %v to %v", ttl, ttl2)
	}
	// Each key is judged against its own limit.
	if d, _ := th.Blocked(ctx, acct); d != 0 {
		t.Errorf("account key (3 of 5) blocked for %v", d)
	}
	if err := th.Reset(ctx, ip); err != nil {
		t.Fatal(err)
	}
	if d := blocked(); d != 0 {
		t.Errorf("after Reset blocked for %v", d)
	}
	for range 2 {
		if err := th.Fail(ctx, acct); err != nil {
			t.Fatal(err)
		}
	}
	if d := blocked(); d <= 0 {
		t.Error("account key at its limit does not block")
	}
	if err := th.Reset(ctx, ip, acct); err != nil {
		t.Fatal(err)
	}
	if d := blocked(); d != 0 {
		t.Errorf("after Reset of both blocked for %v", d)
	}
}

func TestThrottleWindowEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	th := auth.NewThrottle(redisClient(t), time.Second)
	k := auth.ThrottleKey{Name: "test:window:" + storage.NewID(), Limit: 1}
	if err := th.Fail(ctx, k); err != nil {
		t.Fatal(err)
	}
	if d, _ := th.Blocked(ctx, k); d <= 0 || d > time.Second {
		t.Fatalf("Blocked = %v, want (0, 1s]", d)
	}
	time.Sleep(1500 * time.Millisecond)
	if d, err := th.Blocked(ctx, k); err != nil || d != 0 {
		t.Errorf("after the window Blocked = %v, %v", d, err)
	}
}

func forEngine(t *testing.T, f func(t *testing.T, ta *testapp.TestApp), opts ...testapp.Option) {
	t.Helper()
	for _, e := range testapp.Engines() {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			f(t, testapp.New(t, append([]testapp.Option{testapp.OnEngine(e)}, opts...)...))
		})
	}
}

// newUser creates an account whose email is unique across test runs: sign-in
// counters live in a Redis other tests and earlier runs share.
func newUser(t *testing.T, ta *testapp.TestApp, name string) auth.User {
	t.Helper()
	u, err := ta.App.Accounts.CreateUser(ta.Ctx(), ta.App.DB, auth.NewUser{
		Email: name + "-" + storage.NewID() + "@example.test", Name: name, Password: testapp.Password,
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		acc := ta.App.Accounts
		u := newUser(t, ta, "ada")
		ip := "192.0.2." + storage.NewID() // unique per test: the IP counter is shared in Redis

		if got, err := acc.Login(ctx, strings.ToUpper(u.Email), testapp.Password, ip); err != nil || got.ID != u.ID {
			t.Fatalf("Login: %+v %v", got, err)
		}
		for i := range 3 {
			if _, err := acc.Login(ctx, u.Email, "wrong password!", ip); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("wrong password %d: %v", i, err)
			}
		}
		_, err := acc.Login(ctx, u.Email, testapp.Password, ip)
		var th auth.ErrThrottled
		if !errors.As(err, &th) || th.RetryAfter <= 0 {
			t.Fatalf("the right password after 3 failures (limit 3): %v, want ErrThrottled", err)
		}
		// Another account from another address is not affected.
		other := newUser(t, ta, "bob")
		if _, err := acc.Login(ctx, other.Email, testapp.Password, "198.51.100."+storage.NewID()); err != nil {
			t.Errorf("another account: %v", err)
		}
		// Unknown accounts count against the IP too, and answer like a wrong password.
		ip2 := "203.0.113." + storage.NewID()
		for range 5 {
			if _, err := acc.Login(ctx, "nobody-"+storage.NewID()+"@example.test", "whatever pass", ip2); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("unknown account: %v", err)
			}
		}
		if _, err := acc.Login(ctx, other.Email, testapp.Password, ip2); !errors.As(err, &th) {
			t.Errorf("IP past its limit (5): %v, want ErrThrottled", err)
		}
	}, testapp.WithConfig(func(c *config.Config) {
		c.Auth.LoginUserLimit = 3
		c.Auth.LoginIPLimit = 5
	}))
}

func setSession(t *testing.T, ta *testapp.TestApp, id string, lastSeen, expires time.Time) {
	t.Helper()
	_, err := ta.App.DB.NewUpdate().Model((*auth.Session)(nil)).
		Set("last_seen_at = ?", lastSeen.UTC()).Set("expires_at = ?", expires.UTC()).
		Where("id = ?", id).Exec(ta.Ctx())
	if err != nil {
		t.Fatal(err)
	}
}

func loadSession(t *testing.T, ta *testapp.TestApp, id string) auth.Session {
	t.Helper()
	var s auth.Session
	if err := ta.App.DB.NewSelect().Model(&s).Where("id = ?", id).Scan(ta.Ctx()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionUser(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		acc := ta.App.Accounts
		ttl := ta.App.Config.Auth.SessionTTL
		u := newUser(t, ta, "ada")
		s, token, err := acc.StartSession(ctx, u.ID, "192.0.2.1", strings.Repeat("x", 500))
		if err != nil {
			t.Fatal(err)
		}
		if len(s.UserAgent) != 300 || s.CSRFToken == "" || !strings.HasPrefix(token, "sbs_") {
			t.Errorf("session %+v token %q", s, token)
		}
		if !s.CheckCSRF(s.CSRFToken) || s.CheckCSRF("") || s.CheckCSRF(s.CSRFToken+"x") {
			t.Error("CheckCSRF")
		}

		got, gu, err := acc.SessionUser(ctx, token)
		if err != nil || got.ID != s.ID || gu.ID != u.ID || gu.Email != u.Email {
			t.Fatalf("SessionUser: %+v %+v %v", got, gu, err)
		}
		if _, _, err := acc.SessionUser(ctx, token+"x"); !errors.Is(err, auth.ErrSessionInvalid) {
			t.Errorf("wrong token: %v", err)
		}

		// Seen ten minutes ago and expiring in five: a check (an open realtime
		// connection's) is no use, and slides nothing.
		now := time.Now()
		setSession(t, ta, s.ID, now.Add(-10*time.Minute), now.Add(5*time.Minute))
		if got, _, err := acc.CheckSession(ctx, token); err != nil || got.ID != s.ID {
			t.Fatalf("CheckSession: %+v %v", got, err)
		}
		if e := loadSession(t, ta, s.ID).ExpiresAt; e.Sub(now.Add(5*time.Minute)).Abs() > time.Second {
			t.Errorf("a check slid the expiry to %v", e)
		}
		// A use slides the expiry a full TTL on.
		if _, _, err := acc.SessionUser(ctx, token); err != nil {
			t.Fatal(err)
		}
		slid := loadSession(t, ta, s.ID)
		if d := slid.ExpiresAt.Sub(now.Add(ttl)); d < -5*time.Second || d > 5*time.Second {
			t.Errorf("expiry after use is %v, want about now+%v (%v)", slid.ExpiresAt, ttl, now.Add(ttl))
		}
		if d := time.Since(slid.LastSeenAt); d < -5*time.Second || d > 5*time.Second {
			t.Errorf("last_seen_at after use is %v, want about now", slid.LastSeenAt)
		}

		// Seen seconds ago: no write (the expiry stays where it was).
		setSession(t, ta, s.ID, now.Add(-10*time.Second), now.Add(time.Hour))
		if _, _, err := acc.SessionUser(ctx, token); err != nil {
			t.Fatal(err)
		}
		if e := loadSession(t, ta, s.ID).ExpiresAt; e.Sub(now.Add(time.Hour)).Abs() > time.Second {
			t.Errorf("a session seen 10s ago was touched: expiry %v", e)
		}

		// Expired sessions are refused and not revived.
		setSession(t, ta, s.ID, now.Add(-2*time.Hour), now.Add(-time.Minute))
		if _, _, err := acc.SessionUser(ctx, token); !errors.Is(err, auth.ErrSessionInvalid) {
			t.Fatalf("expired session: %v, want ErrSessionInvalid", err)
		}
		if e := loadSession(t, ta, s.ID).ExpiresAt; e.After(now) {
			t.Errorf("an expired session was extended to %v", e)
		}

		// Ending a session, or changing the password, signs out.
		s2, token2, err := acc.StartSession(ctx, u.ID, "192.0.2.1", "ua")
		if err != nil {
			t.Fatal(err)
		}
		if err := acc.EndSession(ctx, s2.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := acc.SessionUser(ctx, token2); !errors.Is(err, auth.ErrSessionInvalid) {
			t.Errorf("ended session: %v", err)
		}
		_, token3, err := acc.StartSession(ctx, u.ID, "192.0.2.1", "ua")
		if err != nil {
			t.Fatal(err)
		}
		if err := acc.SetPassword(ctx, u.ID, "a brand new passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := acc.SessionUser(ctx, token3); !errors.Is(err, auth.ErrSessionInvalid) {
			t.Errorf("session after a password change: %v", err)
		}
		if _, err := acc.Login(ctx, u.Email, "a brand new passphrase", "192.0.2."+storage.NewID()); err != nil {
			t.Errorf("login with the new password: %v", err)
		}
	})
}

func TestPurgeExpiredSessions(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		acc := ta.App.Accounts
		u := ta.NewUser("ada")
		now := time.Now()
		var live, dead []string
		for i := range 5 {
			s, _, err := acc.StartSession(ctx, u.ID, "192.0.2.1", "ua")
			if err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				setSession(t, ta, s.ID, now.Add(-time.Hour), now.Add(-time.Duration(i+1)*time.Minute))
				dead = append(dead, s.ID)
			} else {
				live = append(live, s.ID)
			}
		}
		n, err := acc.PurgeExpiredSessions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(dead)) {
			t.Errorf("purged %d, want %d", n, len(dead))
		}
		var left []string
		if err := ta.App.DB.NewSelect().Model((*auth.Session)(nil)).Column("id").Order("id").Scan(ctx, &left); err != nil {
			t.Fatal(err)
		}
		if strings.Join(left, ",") != strings.Join(live, ",") {
			t.Errorf("sessions left %v, want the live ones %v", left, live)
		}
		if n, err := acc.PurgeExpiredSessions(ctx); err != nil || n != 0 {
			t.Errorf("second purge: %d, %v", n, err)
		}
	})
}
