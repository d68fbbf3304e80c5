package queue_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/platform/queue"
	"github.com/switchboardhq/switchboard/platform/storage"
)

func openEmbedded(t *testing.T) *queue.Backend {
	t.Helper()
	b, err := queue.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestEmbeddedBackend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := openEmbedded(t)
	if b.Kind != "embedded" {
		t.Errorf("Kind = %q, want embedded", b.Kind)
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if b.Conn == nil || b.Redis == nil {
		t.Fatal("Conn or Redis is nil")
	}
}

// miniredis expires keys only when its clock moves; the backend's ticker moves it.
func TestEmbeddedBackendExpiresKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := openEmbedded(t)
	if err := b.Redis.Set(ctx, "short", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.Redis.Set(ctx, "long", "v", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Redis.Exists(ctx, "short").Result(); err != nil || n != 1 {
		t.Fatalf("short key right after SET: exists %d, err %v", n, err)
	}
	time.Sleep(1500 * time.Millisecond)
	if n, err := b.Redis.Exists(ctx, "short").Result(); err != nil || n != 0 {
		t.Errorf("1s key after 1.5s: exists %d, err %v; the embedded clock does not advance", n, err)
	}
	if n, err := b.Redis.Exists(ctx, "long").Result(); err != nil || n != 1 {
		t.Errorf("1h key after 1.5s: exists %d, err %v", n, err)
	}
}

// Asynq's uniqueness lock is a key with a TTL: on the embedded backend it must lapse
// too, or a periodic task would run once and never again.
func TestEmbeddedUniqueLockLapses(t *testing.T) {
	t.Parallel()
	b := openEmbedded(t)
	client := asynq.NewClient(b.Conn)
	defer client.Close()
	task := asynq.NewTask("test:unique:"+storage.NewID(), []byte("x"))
	opts := []asynq.Option{asynq.Unique(time.Second), asynq.Queue("unique_test")}
	if _, err := client.Enqueue(task, opts...); err != nil {
		t.Fatalf("first enqueue: %v", err)
	}
	start := time.Now()
	if _, err := client.Enqueue(task, opts...); !errors.Is(err, asynq.ErrDuplicateTask) {
		t.Fatalf("second enqueue within the window: %v, want ErrDuplicateTask", err)
	}
	for {
		_, err := client.Enqueue(task, opts...)
		if err == nil {
			break
		}
		if !errors.Is(err, asynq.ErrDuplicateTask) {
			t.Fatalf("enqueue: %v", err)
		}
		if time.Since(start) > 4*time.Second {
			t.Fatal("the 1s uniqueness lock still holds after 4s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("uniqueness lock lapsed after %v, before its 1s TTL", d)
	}
}

func TestEmbeddedClose(t *testing.T) {
	t.Parallel()
	b, err := queue.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Ping(context.Background()); err == nil {
		t.Error("Ping after Close succeeded")
	}
}

func TestRedisBackend(t *testing.T) {
	t.Parallel()
	url := os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if url == "" {
		t.Skip("SWITCHBOARD_TEST_REDIS_URL is not set; `make test` starts a Redis")
	}
	ctx := context.Background()
	b, err := queue.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Kind != "redis" {
		t.Errorf("Kind = %q, want redis", b.Kind)
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	key := "switchboard:test:queue:" + storage.NewID()
	if err := b.Redis.Set(ctx, key, "v", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	defer b.Redis.Del(ctx, key)
	if v, err := b.Redis.Get(ctx, key).Result(); err != nil || v != "v" {
		t.Errorf("GET = %q, %v", v, err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"notaurl", "http://127.0.0.1:6379", "redis://127.0.0.1:notaport/0"} {
		b, err := queue.Open(context.Background(), url)
		if err == nil {
			b.Close()
			t.Errorf("Open(%q) succeeded", url)
			continue
		}
		if !strings.Contains(err.Error(), "queue:") {
			t.Errorf("Open(%q): %v, want a queue error", url, err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	b, err := queue.Open(context.Background(), "redis://"+addr+"/0")
	if err == nil {
		b.Close()
		t.Fatal("Open of a closed port succeeded")
	}
	if !strings.Contains(err.Error(), "redis") {
		t.Errorf("error %q does not say Redis is unreachable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v", d)
	}
}

func TestOpenSentinelURLErrors(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"redis-sentinel://127.0.0.1:26379":                   "master",
		"redis-sentinel://127.0.0.1?master=m":                "host:port",
		"redis-sentinel://127.0.0.1:26379,:1?master=m":       "host:port",
		"redis-sentinel://127.0.0.1:26379/x?master=m":        "database",
		"redis-sentinel://127.0.0.1:99999?master=m":          "port",
		"redis-sentinel://127.0.0.1:26379/-1?master=primary": "database",
	} {
		b, err := queue.Open(context.Background(), url)
		if err == nil {
			b.Close()
			t.Errorf("Open(%q) succeeded", url)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q): %v, want it to mention %q", url, err, want)
		}
	}
}

// TestSentinelBackend runs a real redis-server in sentinel mode in front of the test
// Redis and checks that both the general client and asynq reach the primary through it.
func TestSentinelBackend(t *testing.T) {
	t.Parallel()
	redisURL := os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if redisURL == "" {
		t.Skip("SWITCHBOARD_TEST_REDIS_URL is not set; `make test` starts a Redis")
	}
	server, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed; it runs the sentinel for this test")
	}
	primary, err := neturl.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sentinelAddr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(sentinelAddr)
	phost, pport, err := net.SplitHostPort(primary.Host)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor switchboard %s %s 1\n", port, dir, phost, pport)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(server, conf, "--sentinel")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("sentinel output:\n%s", out.String())
		}
	})

	ctx := context.Background()
	// The shape the Helm chart renders, here with an empty password.
	url := "redis-sentinel://:@" + sentinelAddr + "/0?master=switchboard"
	var b *queue.Backend
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err = queue.Open(ctx, url); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Open through the sentinel: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer b.Close()
	if _, ok := b.Conn.(asynq.RedisFailoverClientOpt); !ok {
		t.Errorf("Conn is %T, want asynq.RedisFailoverClientOpt", b.Conn)
	}

	// A key written through the sentinel-resolved client is on the primary.
	key := "switchboard:test:sentinel:" + storage.NewID()
	if err := b.Redis.Set(ctx, key, "v", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	direct, err := queue.Open(ctx, redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	defer direct.Redis.Del(ctx, key)
	if v, err := direct.Redis.Get(ctx, key).Result(); err != nil || v != "v" {
		t.Errorf("primary GET = %q, %v", v, err)
	}

	// asynq enqueues through the same connection options.
	client := asynq.NewClient(b.Conn)
	defer client.Close()
	q := "sentinel-test-" + storage.NewID()
	info, err := client.Enqueue(asynq.NewTask("test:sentinel", nil), asynq.Queue(q), asynq.ProcessIn(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(direct.Conn)
	defer insp.Close()
	defer insp.DeleteQueue(q, true)
	if got, err := insp.GetTaskInfo(q, info.ID); err != nil || got.Type != "test:sentinel" {
		t.Errorf("task on the primary = %+v, %v", got, err)
	}
}
