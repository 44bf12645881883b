# syntax=docker/dockerfile:1
# gamelift-emulator: multi-stage build; the runtime image holds only the static-ish binary
# on distroless (glibc, CA certs, no shell), runs as a non-root user and listens on
# 0.0.0.0:9080 inside the container.
#
#   docker build -t gamelift-emulator .
#   docker run --rm -p 9080:9080 -p 9443:9443 gamelift-emulator

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p gamelift-emulator \
 && cp target/release/gamelift-emulator /gamelift-emulator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /gamelift-emulator /usr/local/bin/gamelift-emulator
ENV GAMELIFT_EMULATOR_BIND=0.0.0.0:9080 \
    GAMELIFT_EMULATOR_WSS_BIND=0.0.0.0:9443 \
    GAMELIFT_EMULATOR_LOG_FORMAT=json
# 9080: the API and ws:// for game servers; 9443: wss:// for game servers (self-signed).
EXPOSE 9080 9443
USER nonroot:nonroot
# The healthcheck subcommand probes /_emulator/health on the bound port (loopback when bound to
# 0.0.0.0), so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 \
  CMD ["/usr/local/bin/gamelift-emulator", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/gamelift-emulator"]
