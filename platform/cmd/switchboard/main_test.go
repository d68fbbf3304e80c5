package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// cheapHashing keeps the commands' password hashing fast; the cost is a production
// setting, not what these tests check.
var cheapHashing = []string{"--auth-hashing-memory-kib", "1024", "--auth-hashing-iterations", "1"}

// runCmd calls run as the binary would, returning what it printed.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "--version", "-v"} {
		out, _, err := runCmd(t, arg)
		if err != nil || out != "switchboard dev\n" {
			t.Errorf("%s: %q, %v; want \"switchboard dev\"", arg, out, err)
		}
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	_, stderr, err := runCmd(t)
	if err == nil || !strings.Contains(stderr, "usage: switchboard <command>") {
		t.Errorf("no command: err %v, stderr %q", err, stderr)
	}
	_, stderr, err = runCmd(t, "frobnicate")
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) || !strings.Contains(stderr, "usage: switchboard <command>") {
		t.Errorf("unknown command: err %v, stderr %q", err, stderr)
	}
	out, _, err := runCmd(t, "help")
	if err != nil || !strings.Contains(out, "commands:") {
		t.Errorf("help: %q %v", out, err)
	}
}

func TestConfigCommand(t *testing.T) {
	t.Parallel()
	out, _, err := runCmd(t, "config", "sample")
	if err != nil || out != config.Sample() {
		t.Errorf("config sample: err %v, output equal to Sample(): %v", err, out == config.Sample())
	}
	out, _, err = runCmd(t, "config", "markdown")
	if err != nil || out != config.Markdown() {
		t.Errorf("config markdown: err %v", err)
	}
	for _, args := range [][]string{{"config"}, {"config", "yaml"}, {"config", "sample", "extra"}} {
		if _, _, err := runCmd(t, args...); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

func TestMigrateCreatesDatabase(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	for i := range 2 {
		if _, stderr, err := runCmd(t, "migrate", "--data-dir", dir); err != nil {
			t.Fatalf("migrate run %d: %v\n%s", i+1, err, stderr)
		}
	}
	db := openDB(t, dir)
	if n, err := db.NewSelect().TableExpr("users").Count(context.Background()); err != nil || n != 0 {
		t.Errorf("users table: %d rows, %v", n, err)
	}
}

// openDB opens the SQLite database the commands keep in dataDir.
func openDB(t *testing.T, dataDir string) *bun.DB {
	t.Helper()
	path := filepath.Join(dataDir, "switchboard.db")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func runAdmin(t *testing.T, dir string, args ...string) string {
	t.Helper()
	args = append(append([]string{"admin"}, args...), "--data-dir", dir)
	out, stderr, err := runCmd(t, append(args, cheapHashing...)...)
	if err != nil {
		t.Fatalf("%q: %v\n%s", args, err, stderr)
	}
	return out
}

func TestAdminCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	const pw = "operator passphrase 1"

	out := runAdmin(t, dir, "create-operator", "--email", "Op@X.test", "--name", "Op", "--password", pw)
	if !strings.Contains(out, "created operator op@x.test") {
		t.Errorf("create-operator printed %q", out)
	}
	db := openDB(t, dir)
	op, err := auth.UserByEmail(ctx, db, "op@x.test")
	if err != nil {
		t.Fatal(err)
	}
	hasher := auth.NewHasher(config.Default().Auth)
	if !op.IsOperator || op.Name != "Op" || !hasher.Verify(op.PasswordHash, pw) {
		t.Errorf("operator %+v (password verifies: %v)", op, hasher.Verify(op.PasswordHash, pw))
	}

	// An existing user is made operator instead of failing.
	u, err := auth.NewAccounts(db, nil, config.Default().Auth).CreateUser(ctx, db, auth.NewUser{Email: "ann@x.test", Name: "Ann", Password: "ann's passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	out = runAdmin(t, dir, "create-operator", "--email", "ann@x.test", "--name", "Ann", "--password", "ignored passphrase")
	if !strings.Contains(out, "ann@x.test is now a platform operator") {
		t.Errorf("create-operator of an existing user printed %q", out)
	}
	if u, err = auth.UserByID(ctx, db, u.ID); err != nil || !u.IsOperator {
		t.Errorf("ann is not an operator: %+v %v", u, err)
	}
	if err := auth.SetOperator(ctx, db, u.ID, false); err != nil {
		t.Fatal(err)
	}

	out = runAdmin(t, dir, "create-workspace", "--name", "Acme Support", "--admin-email", "op@x.test", "--plan", "business")
	if !strings.Contains(out, "created workspace acme-support") {
		t.Errorf("create-workspace printed %q", out)
	}
	ws, err := tenants.ByRef(ctx, db, "acme-support")
	if err != nil {
		t.Fatal(err)
	}
	s := tenants.Scope(db, ws.ID)
	role := func(userID string) policies.Role {
		t.Helper()
		var m tenants.Membership
		if err := s.Select(&m).Where("m.user_id = ?", userID).Scan(ctx); err != nil {
			return ""
		}
		return m.Role
	}
	if r := role(op.ID); r != policies.Admin {
		t.Errorf("workspace creator's role %q, want admin", r)
	}
	if plan, err := tenants.PlanByID(ctx, db, ws.PlanID); err != nil || plan.Code != "business" {
		t.Errorf("plan %+v %v", plan, err)
	}

	out = runAdmin(t, dir, "grant-role", "--email", "ann@x.test", "--workspace", "acme-support", "--role", "agent")
	if !strings.Contains(out, "ann@x.test is agent in acme-support") || role(u.ID) != policies.Agent {
		t.Errorf("grant-role agent printed %q, role %q", out, role(u.ID))
	}
	runAdmin(t, dir, "grant-role", "--email", "ann@x.test", "--workspace", ws.ID, "--role", "manager")
	if r := role(u.ID); r != policies.Manager {
		t.Errorf("after a second grant-role ann is %q, want manager", r)
	}
	if n, _ := s.Select((*tenants.Membership)(nil)).Count(ctx); n != 2 {
		t.Errorf("%d memberships, want 2", n)
	}

	const newPW = "a fresh passphrase 2"
	sess, _, err := auth.NewAccounts(db, nil, config.Default().Auth).StartSession(ctx, op.ID, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	out = runAdmin(t, dir, "reset-password", "--email", "op@x.test", "--password", newPW)
	if !strings.Contains(out, "password reset for op@x.test") {
		t.Errorf("reset-password printed %q", out)
	}
	if op, err = auth.UserByEmail(ctx, db, "op@x.test"); err != nil || !hasher.Verify(op.PasswordHash, newPW) || hasher.Verify(op.PasswordHash, pw) {
		t.Errorf("password not reset: %v", err)
	}
	if n, _ := db.NewSelect().Model((*auth.Session)(nil)).Where("id = ?", sess.ID).Count(ctx); n != 0 {
		t.Error("reset-password left the user's session")
	}

	// Failures are errors, with the usage where it helps.
	failures := []struct {
		args []string
		want string
	}{
		{[]string{"grant-role", "--email", "op@x.test", "--workspace", "acme-support", "--role", "viewer"}, "admin"}, // the last admin
		{[]string{"grant-role", "--email", "ann@x.test", "--workspace", "acme-support", "--role", "owner"}, "role"},
		{[]string{"grant-role", "--email", "ann@x.test", "--workspace", "nope", "--role", "agent"}, "workspace not found"},
		{[]string{"grant-role", "--email", "nobody@x.test", "--workspace", "acme-support", "--role", "agent"}, "user not found"},
		{[]string{"create-workspace", "--name", "Other", "--admin-email", "nobody@x.test"}, "--admin-email"},
		{[]string{"create-workspace", "--name", "Other", "--admin-email", "op@x.test", "--slug", "acme-support"}, "taken"},
		{[]string{"create-operator", "--email", "weak@x.test", "--name", "Weak", "--password", "short"}, "password"},
		{[]string{"reset-password", "--email", "op@x.test", "--password", "short"}, "password"},
		{[]string{"reset-password", "--email", "nobody@x.test", "--password", newPW}, "user not found"},
	}
	for _, f := range failures {
		args := append(append([]string{"admin"}, f.args...), "--data-dir", dir)
		if _, _, err := runCmd(t, append(args, cheapHashing...)...); err == nil || !strings.Contains(err.Error(), f.want) {
			t.Errorf("%q: %v, want an error mentioning %q", f.args, err, f.want)
		}
	}
	if r := role(op.ID); r != policies.Admin {
		t.Errorf("after the failures op is %q", r)
	}
	for _, args := range [][]string{{"admin"}, {"admin", "frobnicate", "--data-dir", dir}} {
		_, stderr, err := runCmd(t, args...)
		if err == nil || !strings.Contains(stderr, "usage: switchboard admin") {
			t.Errorf("%q: err %v, stderr %q", args, err, stderr)
		}
	}
}

// ---------------------------------------------------------------- the binary

var binary struct {
	once sync.Once
	path string
	err  error
}

// buildBinary builds the switchboard binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-bin-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "switchboard")
		// Built like this test binary (with -race under `make test`), so the packages
		// come from the build cache instead of being compiled a second way.
		args := []string{"build", "-o", binary.path}
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "-race" && s.Value == "true" {
					args = append(args, "-race")
				}
			}
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

// freePort returns a loopback address nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type server struct {
	t              *testing.T
	cmd            *exec.Cmd
	addr           string
	stdout, stderr *testapp.Output
	exited         chan error
}

// startServer runs `switchboard serve --demo` on dataDir with env added to a clean
// environment, and waits until /readyz answers 200.
func startServer(t *testing.T, dataDir string, env ...string) *server {
	t.Helper()
	addr := freePort(t)
	return startProcess(t, addr, []string{"serve", "--demo", "--data-dir", dataDir, "--addr", addr}, env...)
}

// startProcess runs the binary with args (and env added to a clean environment) and
// waits until http://addr/readyz answers 200.
func startProcess(t *testing.T, addr string, args []string, env ...string) *server {
	t.Helper()
	bin := buildBinary(t)
	s := &server{t: t, addr: addr, stdout: &testapp.Output{}, stderr: &testapp.Output{}, exited: make(chan error, 1)}
	s.cmd = exec.Command(bin, append(args, cheapHashing...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		res, err := client.Get("http://" + s.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			t.Fatalf("%s exited early (%v)\nstdout:\n%s\nstderr:\n%s", args[0], err, s.stdout, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 within 20s (last error %v)\nstderr:\n%s", err, s.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// login signs in over HTTP and returns the status.
func (s *server) login(email, password string) int {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := http.Post("http://"+s.addr+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	return res.StatusCode
}

// stop sends SIGTERM and expects a clean exit within 10s.
func (s *server) stop() {
	s.stopLogging("switchboard stopped")
}

// stopLogging is stop for a process whose last log line says stopped.
func (s *server) stopLogging(stopped string) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		if err != nil {
			s.t.Errorf("serve exited with %v after SIGTERM\nstderr:\n%s", err, s.stderr)
		}
	case <-time.After(10 * time.Second):
		s.t.Fatalf("serve did not exit within 10s of SIGTERM\nstderr:\n%s", s.stderr)
	}
	if !strings.Contains(s.stderr.String(), stopped) {
		s.t.Errorf("no shutdown log line\nstderr:\n%s", s.stderr)
	}
}

var printedPassword = regexp.MustCompile(`Password for every demo user: (\S+)`)

func TestServeDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, dataDir)
	out := s.stdout.String()
	for _, u := range []string{"admin@demo.local", "manager@demo.local", "agent@demo.local", "viewer@demo.local"} {
		if !strings.Contains(out, u) {
			t.Errorf("stdout does not list %s:\n%s", u, out)
		}
	}
	m := printedPassword.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stdout shows no demo password:\n%s", out)
	}
	password := m[1]
	if code := s.login("admin@demo.local", password); code != http.StatusOK {
		t.Errorf("login with the printed password: %d", code)
	}
	if code := s.login("admin@demo.local", password+"x"); code != http.StatusUnauthorized {
		t.Errorf("login with a wrong password: %d, want 401", code)
	}
	s.stop()

	// A restart on the same data keeps the users and their password, and says so.
	s = startServer(t, dataDir)
	if out := s.stdout.String(); printedPassword.MatchString(out) || !strings.Contains(out, "keep the password") {
		t.Errorf("restart stdout:\n%s", out)
	}
	if code := s.login("viewer@demo.local", password); code != http.StatusOK {
		t.Errorf("login after restart with the first password: %d", code)
	}
	s.stop()
}

func TestServeDemoPasswordFromEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	const chosen = "chosen demo passphrase"
	s := startServer(t, filepath.Join(t.TempDir(), "data"), "SWITCHBOARD_DEMO_PASSWORD="+chosen)
	if !strings.Contains(s.stdout.String(), "Password for every demo user: "+chosen+"\n") {
		t.Errorf("stdout does not show the chosen password:\n%s", s.stdout)
	}
	if code := s.login("manager@demo.local", chosen); code != http.StatusOK {
		t.Errorf("login with SWITCHBOARD_DEMO_PASSWORD: %d", code)
	}
	s.stop()
}

// TestWorkerProbes: a separate worker serves health, readiness and metrics (its
// queues' depth among them) on --worker-addr, and nothing else there.
func TestWorkerProbes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	addr := freePort(t)
	s := startProcess(t, addr, []string{"worker", "--data-dir", filepath.Join(t.TempDir(), "data"), "--worker-addr", addr})
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res.StatusCode, b.String()
	}
	if code, body := get("/healthz"); code != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := get("/readyz"); code != http.StatusOK || !strings.Contains(body, `"queue":"embedded"`) {
		t.Errorf("/readyz: %d %s", code, body)
	}
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "go_goroutines") ||
		!strings.Contains(body, `switchboard_queue_tasks{queue="sends",state="pending"}`) {
		t.Errorf("/metrics: %d, %d bytes, want the Go runtime's and the queues' depth", code, len(body))
	}
	for _, path := range []string{"/api/openapi.json", "/api/v1/auth/me", "/"} {
		if code, _ := get(path); code != http.StatusNotFound {
			t.Errorf("%s on the worker's probe listener: %d, want 404", path, code)
		}
	}
	s.stopLogging("worker stopped")
}
