# syntax=docker/dockerfile:1
#
# Switchboard container image: the `switchboard` binary plus every channel plugin
# built by `make plugins`, on distroless (no shell, no package manager), non-root.
#
#   docker build -t switchboard:dev --build-arg VERSION=$(git describe --tags --always --dirty) .
#   docker run --rm -p 8080:8080 switchboard:dev serve --demo
#
# Needs BuildKit (the default builder since Docker 23: RUN --mount caches).
# Multi-arch: `docker buildx build --platform linux/amd64,linux/arm64 .` — the Go
# stage runs on the build machine and cross-compiles (all binaries are CGO_ENABLED=0).
#
# A reseller adds a channel plugin with one more layer (no rebuild of Switchboard):
#
#   FROM ghcr.io/switchboardhq/switchboard:<version>
#   COPY myplugin/ /opt/switchboard/plugins/myplugin/
#
# where myplugin/ holds plugin.json and myplugin-linux-<arch> (see plugins/README.md),
# or mounts a volume at /opt/switchboard/plugins/<id> (see docs/deploy.md).

ARG GO_IMAGE=golang:1.26-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

# ---------------------------------------------------------------- web
# Builds the browser app into web/dist, as `make web` does. This stage has no Go, so
# the typed API client is generated from the committed web/src/api/openapi.json
# (which `make web` keeps in step with the route table). The Go stage below has no
# npm: its `make build` embeds the web/dist copied from here.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/ ./
RUN set -eu; \
    npm ci --no-audit --no-fund; \
    SWITCHBOARD_OPENAPI_OFFLINE=1 npm run build; \
    test -f dist/index.html

# ---------------------------------------------------------------- Go build
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
# Set by BuildKit from --platform (default: the build machine's platform).
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
# Module downloads first, in their own layer, so source edits do not re-download.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
COPY --from=web /src/web/dist/ ./web/dist/
# `make build plugins` = bin/switchboard and bin/plugins/<id>/{plugin.json,<id>-<os>-<arch>},
# every binary static (CGO_ENABLED=0 is set by both targets). GOOS/GOARCH select
# the target platform; the Makefile runs the manifest tool for the build machine.
# `make build` finds no npm here and embeds the web/dist the web stage built.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    set -eu; \
    export GOOS="${TARGETOS:-linux}" GOARCH="${TARGETARCH:-amd64}" CGO_ENABLED=0; \
    make build plugins VERSION="$VERSION"; \
    test -x bin/switchboard; \
    ls bin/plugins/*/plugin.json; \
    mkdir -p /out/var/lib/switchboard

# ---------------------------------------------------------------- runtime
FROM ${RUNTIME_IMAGE}
ARG VERSION=dev
LABEL org.opencontainers.image.title="switchboard" \
      org.opencontainers.image.source="https://github.com/switchboardhq/switchboard" \
      org.opencontainers.image.version="${VERSION}"

COPY --from=build /src/bin/switchboard /usr/local/bin/switchboard
# Built-in plugins, read-only and owned by root; the host only reads and executes them.
COPY --from=build /src/bin/plugins/ /opt/switchboard/plugins/
# The data dir must be writable by the nonroot user (65532): mount a volume there
# (the Helm chart mounts an emptyDir; production data lives in PostgreSQL).
COPY --from=build --chown=65532:65532 /out/var/lib/switchboard /var/lib/switchboard

ENV SWITCHBOARD_ADDR=0.0.0.0:8080 \
    SWITCHBOARD_PLUGINS_DIR=/opt/switchboard/plugins \
    SWITCHBOARD_DATA_DIR=/var/lib/switchboard

USER 65532:65532
WORKDIR /var/lib/switchboard
VOLUME ["/var/lib/switchboard"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/switchboard"]
CMD ["serve"]
