// Command switchboard is the one Switchboard binary: the HTTP server, the task
// worker, migrations and administration.
//
//	switchboard serve [--demo] [--no-worker]   HTTP API (+ worker unless --no-worker)
//	switchboard worker                         task worker only
//	switchboard migrate                        apply database migrations and exit
//	switchboard admin <command>                create-operator | create-workspace | reset-password | grant-role
//	switchboard config sample                  print a commented configuration file
//	switchboard version                        print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // time zones resolve in minimal container images too

	"github.com/switchboardhq/switchboard/platform/buildinfo"
	"github.com/switchboardhq/switchboard/platform/config"
)

const usage = `usage: switchboard <command> [flags]

commands:
  serve      run the HTTP API and web app (and the task worker unless --no-worker)
  worker     run the task worker only
  migrate    apply pending database migrations and exit
  admin      create-operator | create-workspace | reset-password | grant-role
  config     sample: print a commented configuration file with every setting;
             markdown: the settings as a Markdown table
  version    print the version

Run "switchboard <command> -h" for the flags; every flag can also be set in the
config file (--config) or as SWITCHBOARD_* environment variables.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "switchboard:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "worker":
		return worker(ctx, rest, stderr)
	case "migrate":
		return migrate(ctx, rest, stderr)
	case "admin":
		return admin(ctx, rest, stdout, stderr)
	case "config":
		switch {
		case len(rest) == 1 && rest[0] == "sample":
			_, err := fmt.Fprint(stdout, config.Sample())
			return err
		case len(rest) == 1 && rest[0] == "markdown":
			_, err := fmt.Fprint(stdout, config.Markdown())
			return err
		}
		return errors.New("usage: switchboard config sample|markdown")
	case "version", "--version", "-v":
		_, err := fmt.Fprintln(stdout, "switchboard", buildinfo.Version)
		return err
	case "help", "-h", "--help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// load parses the configuration for a command whose own flags are already on fs.
func load(fs *flag.FlagSet, args []string) (config.Config, []string, error) {
	return config.Load(fs, args, os.Getenv)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.Log.Format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
