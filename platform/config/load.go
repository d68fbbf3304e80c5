package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts every environment variable the binary reads.
const EnvPrefix = "SWITCHBOARD_"

// setting is one leaf of Config, found by walking the struct's `key` tags.
type setting struct {
	path   []string // key tags from the root
	field  reflect.Value
	usage  string
	secret bool
}

func (s setting) key() string  { return strings.Join(s.path, ".") }
func (s setting) env() string  { return EnvPrefix + strings.ToUpper(strings.Join(s.path, "__")) }
func (s setting) flag() string { return strings.ReplaceAll(strings.Join(s.path, "-"), "_", "-") }

func settings(cfg *Config) []setting {
	var out []setting
	var walk func(v reflect.Value, path []string)
	walk = func(v reflect.Value, path []string) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key := f.Tag.Get("key")
			if key == "" {
				continue
			}
			p := append(append([]string(nil), path...), key)
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
				walk(v.Field(i), p)
				continue
			}
			out = append(out, setting{path: p, field: v.Field(i), usage: f.Tag.Get("usage"), secret: f.Tag.Get("secret") == "true"})
		}
	}
	walk(reflect.ValueOf(cfg).Elem(), nil)
	return out
}

func setValue(v reflect.Value, raw string) error {
	switch v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			return err
		}
		v.SetUint(n)
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

func formatValue(v reflect.Value) string {
	if d, ok := v.Interface().(time.Duration); ok {
		return d.String()
	}
	return fmt.Sprint(v.Interface())
}

// flagValue lets the flag package write straight into a Config field, so a flag that
// is not given leaves the value from the earlier layers alone.
type flagValue struct{ v reflect.Value }

func (f flagValue) String() string {
	if !f.v.IsValid() {
		return ""
	}
	return formatValue(f.v)
}
func (f flagValue) Set(s string) error { return setValue(f.v, s) }
func (f flagValue) IsBoolFlag() bool   { return f.v.IsValid() && f.v.Kind() == reflect.Bool }

// Load builds a Config from defaults, the file named by --config or
// SWITCHBOARD_CONFIG, the environment and args, parsing args with fs (which may
// already hold a command's own flags). It returns the arguments left after the flags.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, []string, error) {
	cfg := Default()
	path := getenv(EnvPrefix + "CONFIG")
	for i, a := range args {
		switch {
		case a == "--config" || a == "-config":
			if i+1 < len(args) {
				path = args[i+1]
			}
		case strings.HasPrefix(a, "--config="):
			path = strings.TrimPrefix(a, "--config=")
		}
	}
	if path != "" {
		if err := loadFile(&cfg, path); err != nil {
			return cfg, nil, err
		}
	}
	all := settings(&cfg)
	for _, s := range all {
		if raw, ok := lookup(getenv, s.env()); ok {
			if err := setValue(s.field, raw); err != nil {
				return cfg, nil, fmt.Errorf("config: %s: %w", s.env(), err)
			}
		}
	}
	fs.String("config", path, "YAML configuration file")
	for _, s := range all {
		fs.Var(flagValue{s.field}, s.flag(), s.usage)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	return cfg, fs.Args(), cfg.Validate()
}

func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

func loadFile(cfg *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var tree map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	// io.EOF: a file with nothing but comments sets nothing.
	if err := dec.Decode(&tree); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	known := map[string]setting{}
	for _, s := range settings(cfg) {
		known[s.key()] = s
	}
	flat := map[string]any{}
	flatten("", tree, flat)
	for k, v := range flat {
		s, ok := known[k]
		if !ok {
			if v == nil && isSection(known, k) {
				continue // a section whose keys are all commented out, as in the sample
			}
			return fmt.Errorf("config: %s: unknown setting %q", path, k)
		}
		raw := "" // a key with no value is empty, not "<nil>"
		if v != nil {
			raw = fmt.Sprint(v)
		}
		if err := setValue(s.field, raw); err != nil {
			return fmt.Errorf("config: %s: %s: %w", path, k, err)
		}
	}
	return nil
}

func isSection(known map[string]setting, key string) bool {
	for k := range known {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

func flatten(prefix string, in map[string]any, out map[string]any) {
	for k, v := range in {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if m, ok := v.(map[string]any); ok {
			flatten(key, m, out)
			continue
		}
		out[key] = v
	}
}

// Redacted lists every setting with secrets masked, for logs and `switchboard version`.
func (c *Config) Redacted() map[string]string {
	out := map[string]string{}
	for _, s := range settings(c) {
		v := formatValue(s.field)
		if s.secret && v != "" {
			v = "[redacted]"
		}
		out[s.key()] = v
	}
	return out
}
