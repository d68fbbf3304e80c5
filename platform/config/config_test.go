package config_test

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/config"
)

// samplePath is the committed sample, relative to this package's directory.
const samplePath = "../../docs/switchboard.sample.yaml"

// env is a fake environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// load runs config.Load with a fresh flag set, as a command would.
func load(t *testing.T, args []string, e env) (config.Config, []string, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Load(fs, args, e.get)
}

func mustLoad(t *testing.T, args []string, e env) config.Config {
	t.Helper()
	cfg, _, err := load(t, args, e)
	if err != nil {
		t.Fatalf("Load(%q): %v", args, err)
	}
	return cfg
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "switchboard.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadNothingGivesDefaults(t *testing.T) {
	t.Parallel()
	cfg, rest, err := load(t, nil, env{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, config.Default()) {
		t.Errorf("Load() = %+v\nwant Default() = %+v", cfg, config.Default())
	}
	if len(rest) != 0 {
		t.Errorf("rest = %q, want none", rest)
	}
}

func TestLoadLayers(t *testing.T) {
	t.Parallel()
	file := writeFile(t, `
addr: "0.0.0.0:9000"
log:
  level: debug
auth:
  session_ttl: 2h
  login_window: 5m
  hashing:
    iterations: 4
worker:
  concurrency: 3
`)
	tests := []struct {
		name  string
		args  []string
		env   env
		check func(t *testing.T, c config.Config)
	}{
		{
			name: "file over defaults",
			args: []string{"--config", file},
			check: func(t *testing.T, c config.Config) {
				want := config.Default()
				want.Addr = "0.0.0.0:9000"
				want.Log.Level = "debug"
				want.Auth.SessionTTL = 2 * time.Hour
				want.Auth.LoginWindow = 5 * time.Minute
				want.Auth.PasswordHashing.Iterations = 4
				want.Worker.Concurrency = 3
				if !reflect.DeepEqual(c, want) {
					t.Errorf("got  %+v\nwant %+v", c, want)
				}
			},
		},
		{
			name: "env over file",
			args: []string{"--config", file},
			env:  env{"SWITCHBOARD_AUTH__SESSION_TTL": "3h", "SWITCHBOARD_WORKER__CONCURRENCY": "7", "SWITCHBOARD_AUTH__HASHING__ITERATIONS": "5"},
			check: func(t *testing.T, c config.Config) {
				if c.Auth.SessionTTL != 3*time.Hour {
					t.Errorf("session_ttl = %v, want 3h from the environment", c.Auth.SessionTTL)
				}
				if c.Worker.Concurrency != 7 {
					t.Errorf("worker.concurrency = %d, want 7 from the environment", c.Worker.Concurrency)
				}
				if c.Auth.PasswordHashing.Iterations != 5 {
					t.Errorf("auth.hashing.iterations = %d, want 5 from the environment", c.Auth.PasswordHashing.Iterations)
				}
				// Settings the environment does not mention keep the file's value.
				if c.Auth.LoginWindow != 5*time.Minute || c.Log.Level != "debug" || c.Addr != "0.0.0.0:9000" {
					t.Errorf("file values lost: login_window %v, log.level %q, addr %q", c.Auth.LoginWindow, c.Log.Level, c.Addr)
				}
			},
		},
		{
			name: "flags over env",
			args: []string{"--config", file, "--auth-session-ttl", "4h", "--log-level=warn"},
			env:  env{"SWITCHBOARD_AUTH__SESSION_TTL": "3h", "SWITCHBOARD_LOG__LEVEL": "error", "SWITCHBOARD_WORKER__CONCURRENCY": "7"},
			check: func(t *testing.T, c config.Config) {
				if c.Auth.SessionTTL != 4*time.Hour {
					t.Errorf("session_ttl = %v, want 4h from the flag", c.Auth.SessionTTL)
				}
				if c.Log.Level != "warn" {
					t.Errorf("log.level = %q, want warn from the flag", c.Log.Level)
				}
				if c.Worker.Concurrency != 7 {
					t.Errorf("worker.concurrency = %d, want 7 from the environment", c.Worker.Concurrency)
				}
				if c.Auth.LoginWindow != 5*time.Minute {
					t.Errorf("login_window = %v, want 5m from the file", c.Auth.LoginWindow)
				}
			},
		},
		{
			name: "env without a file",
			env:  env{"SWITCHBOARD_ADDR": ":1234", "SWITCHBOARD_DEMO": "true", "SWITCHBOARD_AUTH__HASHING__MEMORY_KIB": "2048"},
			check: func(t *testing.T, c config.Config) {
				if c.Addr != ":1234" || !c.Demo || c.Auth.PasswordHashing.MemoryKiB != 2048 {
					t.Errorf("addr %q demo %v memory_kib %d", c.Addr, c.Demo, c.Auth.PasswordHashing.MemoryKiB)
				}
			},
		},
		{
			name: "bool flag without value",
			args: []string{"--demo", "--no-worker"},
			env:  env{"SWITCHBOARD_DEMO": "false"},
			check: func(t *testing.T, c config.Config) {
				if !c.Demo || !c.NoWorker {
					t.Errorf("demo %v no_worker %v, want both true", c.Demo, c.NoWorker)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t, mustLoad(t, tt.args, tt.env))
		})
	}
}

func TestLoadReturnsRemainingArgs(t *testing.T) {
	t.Parallel()
	_, rest, err := load(t, []string{"--addr", ":1", "extra", "more"}, env{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rest, []string{"extra", "more"}) {
		t.Errorf("rest = %q", rest)
	}
}

func TestConfigFileSelection(t *testing.T) {
	t.Parallel()
	a := writeFile(t, "addr: \"a:1\"\n")
	b := writeFile(t, "addr: \"b:2\"\n")
	tests := []struct {
		name string
		args []string
		env  env
		want string
	}{
		{"flag", []string{"--config", a}, nil, "a:1"},
		{"flag with =", []string{"--config=" + b}, nil, "b:2"},
		{"single dash", []string{"-config", a}, nil, "a:1"},
		{"environment", nil, env{"SWITCHBOARD_CONFIG": b}, "b:2"},
		{"flag wins over environment", []string{"--config", a}, env{"SWITCHBOARD_CONFIG": b}, "a:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mustLoad(t, tt.args, tt.env).Addr; got != tt.want {
				t.Errorf("addr = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		missing := filepath.Join(t.TempDir(), "nope.yaml")
		_, _, err := load(t, []string{"--config", missing}, env{})
		if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
			t.Errorf("err = %v, want one naming the missing file", err)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string // YAML; empty for none
		args []string
		env  env
		want []string // substrings of the error
	}{
		{name: "unknown top-level key", file: "adr: \":1\"\n", want: []string{`"adr"`, "unknown setting"}},
		{name: "unknown nested key", file: "auth:\n  sesion_ttl: 1h\n", want: []string{`"auth.sesion_ttl"`}},
		{name: "unknown section", file: "smtp:\n  host: x\n", want: []string{`"smtp.host"`}},
		{name: "bad duration in file", file: "auth:\n  session_ttl: abc\n", want: []string{"auth.session_ttl", "abc"}},
		{name: "bad yaml", file: "auth: [unclosed\n", want: []string{"switchboard.yaml"}},
		{name: "bad duration in env", env: env{"SWITCHBOARD_AUTH__SESSION_TTL": "abc"}, want: []string{"SWITCHBOARD_AUTH__SESSION_TTL", "abc"}},
		{name: "bad int in env", env: env{"SWITCHBOARD_WORKER__CONCURRENCY": "many"}, want: []string{"SWITCHBOARD_WORKER__CONCURRENCY"}},
		{name: "bad bool in env", env: env{"SWITCHBOARD_DEMO": "sure"}, want: []string{"SWITCHBOARD_DEMO"}},
		{name: "bad uint in env", env: env{"SWITCHBOARD_AUTH__HASHING__MEMORY_KIB": "-1"}, want: []string{"SWITCHBOARD_AUTH__HASHING__MEMORY_KIB"}},
		{name: "bad duration flag", args: []string{"--auth-session-ttl", "abc"}, want: []string{"auth-session-ttl"}},
		{name: "unknown flag", args: []string{"--nope"}, want: []string{"nope"}},
		{name: "production without secret key", env: env{"SWITCHBOARD_PRODUCTION": "true", "SWITCHBOARD_REDIS_URL": "redis://r:6379/0"}, want: []string{"secret_key", "production"}},
		{name: "production without redis", args: []string{"--production", "--secret-key", "k"}, want: []string{"redis_url", "production"}},
		{name: "invalid log format", args: []string{"--log-format", "xml"}, want: []string{"log.format"}},
		{name: "short passwords", env: env{"SWITCHBOARD_AUTH__MIN_PASSWORD_LENGTH": "4"}, want: []string{"min_password_length"}},
		{name: "no concurrency", args: []string{"--worker-concurrency=0"}, want: []string{"worker.concurrency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args
			if tt.file != "" {
				args = append([]string{"--config", writeFile(t, tt.file)}, args...)
			}
			_, _, err := load(t, args, tt.env)
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestProductionWithEverythingSetLoads(t *testing.T) {
	t.Parallel()
	cfg := mustLoad(t, []string{"--production"}, env{"SWITCHBOARD_SECRET_KEY": "k", "SWITCHBOARD_REDIS_URL": "redis://r:6379/0"})
	if !cfg.Production || cfg.SecretKey != "k" || cfg.RedisURL != "redis://r:6379/0" {
		t.Errorf("got %+v", cfg)
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	secrets := []string{"database_url", "redis_url", "secret_key", "auth.demo_password"}

	t.Run("unset secrets are shown empty", func(t *testing.T) {
		t.Parallel()
		cfg := config.Default()
		r := cfg.Redacted()
		for _, k := range secrets {
			if v, ok := r[k]; !ok || v != "" {
				t.Errorf("%s = %q (present %v), want empty", k, v, ok)
			}
		}
	})

	t.Run("set secrets are masked, others shown", func(t *testing.T) {
		t.Parallel()
		cfg := config.Default()
		cfg.DatabaseURL = "postgres://u:hunter2@db/x"
		cfg.RedisURL = "redis://:hunter3@r:6379/0"
		cfg.SecretKey = "c2VjcmV0"
		cfg.Auth.DemoPassword = "hunter4hunter4"
		cfg.Addr = "0.0.0.0:8443"
		cfg.Auth.SessionTTL = 90 * time.Minute
		r := cfg.Redacted()
		for _, k := range secrets {
			if r[k] != "[redacted]" {
				t.Errorf("%s = %q, want [redacted]", k, r[k])
			}
		}
		for k, v := range r {
			for _, s := range []string{"hunter", "c2VjcmV0"} {
				if strings.Contains(v, s) {
					t.Errorf("%s = %q leaks a secret", k, v)
				}
			}
		}
		for k, want := range map[string]string{
			"addr":                    "0.0.0.0:8443",
			"auth.session_ttl":        "1h30m0s",
			"worker.concurrency":      "200",
			"auth.hashing.memory_kib": "65536",
			"log.format":              "text",
			"migrate_on_start":        "true",
			"http.proxy_hops":         "0",
			"http.body_limit":         "1048576",
			"data_dir":                "./data",
			"public_url":              "",
		} {
			if r[k] != want {
				t.Errorf("%s = %q, want %q", k, r[k], want)
			}
		}
		if len(r) != len(settingKeys()) {
			t.Errorf("Redacted() has %d entries, want one per setting (%d)", len(r), len(settingKeys()))
		}
	})

	// Every setting named like a secret, present or future, is masked once set.
	t.Run("every secret-looking setting is masked", func(t *testing.T) {
		t.Parallel()
		e := env{}
		for k := range settingKeys() {
			name := k[strings.LastIndex(k, ".")+1:]
			if strings.HasSuffix(name, "secret") || strings.HasSuffix(name, "secret_key") || strings.HasSuffix(name, "password") ||
				k == "database_url" || k == "redis_url" {
				e["SWITCHBOARD_"+strings.ToUpper(strings.ReplaceAll(k, ".", "__"))] = "hunter2-" + k
			}
		}
		if len(e) < len(secrets) {
			t.Fatalf("found only %d secret settings: %v", len(e), e)
		}
		cfg := mustLoad(t, nil, e)
		for k, v := range cfg.Redacted() {
			if strings.Contains(v, "hunter2") {
				t.Errorf("%s = %q is not redacted", k, v)
			}
		}
	})
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	if got := cfg.BaseURL(); got != "http://127.0.0.1:8080" {
		t.Errorf("BaseURL() = %q", got)
	}
	cfg.PublicURL = "https://sb.example.com"
	if got := cfg.BaseURL(); got != "https://sb.example.com" {
		t.Errorf("BaseURL() = %q", got)
	}
	// Given with a trailing slash: still base + "/hooks/…", the URL Twilio signs.
	cfg.PublicURL = "https://sb.example.com/"
	if got := cfg.BaseURL(); got != "https://sb.example.com" {
		t.Errorf("BaseURL() with a trailing slash = %q", got)
	}
}

func TestCommittedSampleIsCurrent(t *testing.T) {
	t.Parallel()
	got, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatalf("%v; run `make generate` to create it", err)
	}
	if string(got) != config.Sample() {
		t.Errorf("docs/switchboard.sample.yaml differs from config.Sample(); run `make generate` and commit the result")
	}
}

// sampleKeyLine is a commented-out `key: value` line of the sample.
var sampleKeyLine = regexp.MustCompile(`^(\s*)# ([a-z_]+: .*)$`)

func TestSampleUncommentedLoadsToDefaults(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	n := 0
	for _, line := range strings.Split(config.Sample(), "\n") {
		if m := sampleKeyLine.FindStringSubmatch(line); m != nil {
			line = m[1] + m[2]
			n++
		}
		b.WriteString(line + "\n")
	}
	if want := len(settingKeys()); n != want {
		t.Fatalf("uncommented %d key lines, want one per setting (%d)", n, want)
	}
	cfg := mustLoad(t, []string{"--config", writeFile(t, b.String())}, env{})
	if !reflect.DeepEqual(cfg, config.Default()) {
		t.Errorf("uncommented sample loads to %+v\nwant Default() %+v", cfg, config.Default())
	}
}

// The sample as committed (every key commented out, section headers left in) is a
// valid file a user can start from.
func TestSampleAsIsLoadsToDefaults(t *testing.T) {
	t.Parallel()
	cfg := mustLoad(t, []string{"--config", writeFile(t, config.Sample())}, env{})
	if !reflect.DeepEqual(cfg, config.Default()) {
		t.Errorf("sample loads to %+v\nwant Default() %+v", cfg, config.Default())
	}
}

func TestFileEdgeCases(t *testing.T) {
	t.Parallel()
	t.Run("empty file", func(t *testing.T) {
		t.Parallel()
		cfg := mustLoad(t, []string{"--config", writeFile(t, "# nothing set\n")}, env{})
		if !reflect.DeepEqual(cfg, config.Default()) {
			t.Errorf("got %+v", cfg)
		}
	})
	t.Run("key without value is empty", func(t *testing.T) {
		t.Parallel()
		cfg := mustLoad(t, []string{"--config", writeFile(t, "public_url:\naddr: \":9\"\n")}, env{})
		if cfg.PublicURL != "" || cfg.Addr != ":9" {
			t.Errorf("public_url %q addr %q", cfg.PublicURL, cfg.Addr)
		}
	})
	t.Run("typed yaml values", func(t *testing.T) {
		t.Parallel()
		cfg := mustLoad(t, []string{"--config", writeFile(t, "demo: true\nhttp:\n  body_limit: 2048\n  proxy_hops: 2\n")}, env{})
		if !cfg.Demo || cfg.HTTP.BodyLimit != 2048 || cfg.HTTP.ProxyHops != 2 {
			t.Errorf("demo %v body_limit %d proxy_hops %v", cfg.Demo, cfg.HTTP.BodyLimit, cfg.HTTP.ProxyHops)
		}
	})
}

// settingKeys are the file keys of every setting.
func settingKeys() map[string]string {
	cfg := config.Default()
	return cfg.Redacted()
}

func TestMarkdownListsEverySetting(t *testing.T) {
	t.Parallel()
	md := config.Markdown()
	for k := range settingKeys() {
		if !strings.Contains(md, "| `"+k+"` |") {
			t.Errorf("Markdown() has no row for %s", k)
		}
	}
}
