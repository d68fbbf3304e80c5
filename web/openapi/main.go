// Command openapi prints the API's OpenAPI document, built from the same route table
// the server serves at /api/openapi.json, without a database or a listener: the web
// app's typed client is generated from it at build time (make web).
package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/config"
)

func main() {
	srv := api.New(api.Deps{
		Config:  config.Default(),
		Metrics: prometheus.NewRegistry(),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version: "dev",
	})
	doc, err := api.OpenAPI(srv.Router().Routes(), "dev").JSON()
	if err != nil {
		slog.Error("openapi", "error", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(doc, '\n'))
}
