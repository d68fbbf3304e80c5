package config

//go:generate go run ./internal/gendocs ../..

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// The configuration table in README.md sits between these markers.
const (
	readmeStart = "<!-- config:start -->\n"
	readmeEnd   = "<!-- config:end -->"
)

// SpliceREADME returns readme with the configuration table replaced by Markdown().
func SpliceREADME(readme string) (string, error) {
	i := strings.Index(readme, readmeStart)
	j := strings.Index(readme, readmeEnd)
	if i < 0 || j < i {
		return "", errors.New("README.md lacks the config:start / config:end markers")
	}
	return readme[:i+len(readmeStart)] + Markdown() + readme[j:], nil
}

// Sample renders a commented YAML file with every setting at its default; the
// committed switchboard.sample.yaml is this output (a test keeps them equal).
func Sample() string {
	cfg := Default()
	var b strings.Builder
	b.WriteString("# Switchboard configuration. Every key can also be set as an environment\n")
	b.WriteString("# variable (SWITCHBOARD_ + key in capitals, sections joined by __, e.g.\n")
	b.WriteString("# SWITCHBOARD_AUTH__SESSION_TTL) or a flag (--auth-session-ttl). Flags win over\n")
	b.WriteString("# the environment, which wins over this file. Values shown are the defaults.\n")
	section := ""
	for _, s := range settings(&cfg) {
		indent := ""
		if len(s.path) > 1 {
			sec := strings.Join(s.path[:len(s.path)-1], ".")
			if sec != section {
				b.WriteString("\n")
				for i, p := range s.path[:len(s.path)-1] {
					if i >= len(strings.Split(section, ".")) || section == "" || strings.Split(section, ".")[i] != p {
						fmt.Fprintf(&b, "%s%s:\n", strings.Repeat("  ", i), p)
					}
				}
				section = sec
			}
			indent = strings.Repeat("  ", len(s.path)-1)
		} else if section != "" {
			section = ""
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "%s# %s (%s, --%s)\n", indent, s.usage, s.env(), s.flag())
		val := formatValue(s.field)
		if s.field.Kind() == reflect.String {
			val = strconv.Quote(val)
		}
		fmt.Fprintf(&b, "%s# %s: %s\n", indent, s.path[len(s.path)-1], val)
	}
	return b.String()
}

// Markdown renders the settings as a Markdown table for README's configuration
// section (kept equal to this output by a test; `make generate` rewrites it).
func Markdown() string {
	cfg := Default()
	var b strings.Builder
	b.WriteString("| setting (file key) | environment | flag | default | meaning |\n|---|---|---|---|---|\n")
	for _, s := range settings(&cfg) {
		def := formatValue(s.field)
		if def == "" {
			def = "—"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | `--%s` | `%s` | %s |\n", s.key(), s.env(), s.flag(), def, s.usage)
	}
	return b.String()
}
