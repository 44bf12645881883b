# syntax=docker/dockerfile:1
# gamelift-emulator: a multi-stage build whose runtime image holds one statically linked binary
# and nothing else (FROM scratch: no shell, no libc, no package manager), running as the numeric
# non-root user 65532 and listening on 0.0.0.0:9080 inside the container.
#
#   docker build -t gamelift-emulator .
#   docker run --rm -p 9080:9080 -p 9443:9443 gamelift-emulator
#
# The stage named `build` only has to leave the binary at /out/gamelift-emulator, so a binary
# built elsewhere can stand in for it (this is how the test command builds the image offline):
#   buildah build --format docker --build-context build=<DIR> -t gamelift-emulator -f Dockerfile .
# with the static binary at <DIR>/out/gamelift-emulator.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# glibc linked statically (crt-static): the runtime stage has no C library to link against.
RUN target="$(rustc -vV | sed -n 's/^host: //p')" \
 && RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked -p gamelift-emulator --target "$target" \
 && mkdir -p /out \
 && cp "target/$target/release/gamelift-emulator" /out/gamelift-emulator \
 && mkdir -p /out/data

FROM scratch
COPY --from=build /out/gamelift-emulator /gamelift-emulator
# An empty directory the runtime user owns, for --data-dir /data with a volume mounted there (a
# new named volume takes this ownership).
COPY --from=build --chown=65532:65532 /out/data /data
ENV GAMELIFT_EMULATOR_BIND=0.0.0.0:9080 \
    GAMELIFT_EMULATOR_WSS_BIND=0.0.0.0:9443 \
    GAMELIFT_EMULATOR_LOG_FORMAT=json
# 9080: the API, /metrics and ws:// for game servers; 9443: wss:// for game servers (self-signed).
EXPOSE 9080 9443
# Numeric, so it needs no /etc/passwd (the image has none).
USER 65532:65532
# The healthcheck subcommand probes /_emulator/health on the bound port (loopback when bound to
# 0.0.0.0), so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 \
  CMD ["/gamelift-emulator", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/gamelift-emulator"]
