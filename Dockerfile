# Multi-stage build: one builder, two small images.
#   docker build --target olflow -t olflow .   (worker, codec server, CLI)
#   docker build --target olsim -t olsim .     (the OneLogin simulator)
# Pass the build ID a versioned worker declares (make prints it:
# make -s print-build-id): --build-arg BUILD_ID=v0.2.0+abc1234
FROM golang:1.26 AS build
ARG BUILD_ID=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (the SQLite driver too), so the binaries run on a static base.
RUN CGO_ENABLED=0 go build -trimpath -o /out/ \
      -ldflags="-s -w -X github.com/olflow/olflow/internal/buildinfo.Version=$(cat VERSION) -X github.com/olflow/olflow/internal/buildinfo.BuildID=${BUILD_ID}" \
      ./cmd/olflow ./cmd/olsim

FROM gcr.io/distroless/static-debian12:nonroot AS olsim
COPY --from=build /out/olsim /usr/local/bin/olsim
EXPOSE 8089
ENTRYPOINT ["/usr/local/bin/olsim"]

FROM gcr.io/distroless/static-debian12:nonroot AS olflow
COPY --from=build /out/olflow /usr/local/bin/olflow
# /metrics, /healthz and /readyz (worker); the codec server.
EXPOSE 9090 8081
ENTRYPOINT ["/usr/local/bin/olflow"]
CMD ["worker"]
