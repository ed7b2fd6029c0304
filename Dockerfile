# syntax=docker/dockerfile:1
# Build: a static binary (no cgo: the SQLite journal is modernc.org/sqlite).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/tradebot/tradebot/cli.Version=${VERSION}" -o /out/tradebot ./cmd/tradebot
# The state directory, owned by distroless's nonroot user (65532), so that
# a volume mounted there starts writable for the daemon.
RUN install -d -m 0700 -o 65532 -g 65532 /out/state

# Run: distroless static, non-root. The config and the key file are
# mounted; the journal lives in /var/lib/tradebot (a volume; set
# state_dir: /var/lib/tradebot in the config).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tradebot /usr/local/bin/tradebot
COPY config.example.yaml /etc/tradebot/config.yaml
COPY --from=build --chown=65532:65532 /out/state /var/lib/tradebot
USER 65532:65532
VOLUME ["/var/lib/tradebot"]
EXPOSE 9464
# The image has no shell or curl: tradebot asks its own /healthz, whether
# it serves and its strategies' loops turn (loop_stall_after). Not /readyz: whatever acts on "unhealthy" (Swarm, autoheal, a
# liveness probe) restarts the container, and a restart mends nothing
# /readyz reports; it would loop on a journaled HALT, or forget one kept
# in memory only. /readyz and the alerts show the trading state. With a
# --web.config.file (TLS, basic auth), override it with the health flags
# --ca, --server-name, --user and --password-file (deploy/README.md).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/tradebot", "health", "--url", "http://127.0.0.1:9464/healthz"]
ENTRYPOINT ["/usr/local/bin/tradebot"]
CMD ["run", "--config", "/etc/tradebot/config.yaml", "--web.listen-address", "0.0.0.0:9464"]
