package config

import (
	"os"
	"testing"
)

// TestREADMEConfigTable keeps README's configuration section true: it must be exactly
// the table generated from the settings.
func TestREADMEConfigTable(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := SpliceREADME(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != want {
		t.Fatal("README.md's configuration table is out of date with platform/config; run `make generate`")
	}
}
