// Command gendocs rewrites the documents generated from the settings: the
// configuration table in README.md and docs/switchboard.sample.yaml. `make generate`
// runs it (through go:generate in package config).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/switchboardhq/switchboard/platform/config"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	if err := write(root); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func write(root string) error {
	readme := filepath.Join(root, "README.md")
	data, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	updated, err := config.SpliceREADME(string(data))
	if err != nil {
		return err
	}
	if err := os.WriteFile(readme, []byte(updated), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "docs", "switchboard.sample.yaml"), []byte(config.Sample()), 0o644)
}
