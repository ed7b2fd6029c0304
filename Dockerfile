# syntax=docker/dockerfile:1
# Build: a static binary (no cgo: the SQLite journal is modernc.org/sqlite).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/tradebot ./cmd/tradebot

# Run: distroless static, non-root. The config and the key file are
# mounted; the journal lives in /var/lib/tradebot (a volume).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tradebot /usr/local/bin/tradebot
COPY config.example.yaml /etc/tradebot/config.yaml
USER nonroot:nonroot
VOLUME ["/var/lib/tradebot"]
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/tradebot"]
CMD ["run", "--config", "/etc/tradebot/config.yaml", "--web.listen-address", "0.0.0.0:9464"]
