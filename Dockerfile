# syntax=docker/dockerfile:1
#
# The container image of an mcp-handler server: a static (musl) binary on
# `scratch`, cross-compiled on the build machine's own architecture for every
# target platform (no emulation), so a multi-arch build is two native
# compiles:
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t mcp-handler .
#   docker buildx build --build-arg BIN=everything -t mcp-everything .
#
# Runtime: non-root (65532), no shell, CA certificates for Secrets Manager
# over TLS, listens on 0.0.0.0:8080 (local Host names only until
# MCP_ALLOWED_HOSTS says otherwise), drains on SIGTERM, health check through
# the binary itself. Run it with a read-only root filesystem and no
# capabilities; see infra/README.md.
#
# `cargo xtask image` builds this very file with buildah and runs the result
# with podman. Where registry images cannot be pulled (as on the project's
# test machines) it substitutes local stand-ins for the two base images below,
# tagged with these names (see xtask/src/standin.rs).

# The base images, tagged here (hadolint's DL3006 cannot see a tag through
# an ARG, hence its two inline ignores below). Pin digests for reproducible
# builds: --build-arg RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm@sha256:...
ARG RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm
ARG PYTHON_IMAGE=docker.io/library/python:3.12-slim-bookworm

# zig is the C compiler and linker for the musl targets (ring has C and
# assembly); cargo-zigbuild drives it. Both come as wheels from PyPI.
# hadolint ignore=DL3006
FROM --platform=$BUILDPLATFORM ${PYTHON_IMAGE} AS zig
ARG ZIG_VERSION=0.14.1
ARG CARGO_ZIGBUILD_VERSION=0.24.0
RUN pip install --no-cache-dir --disable-pip-version-check --target /opt/zigbuild \
        "ziglang==${ZIG_VERSION}" "cargo-zigbuild==${CARGO_ZIGBUILD_VERSION}"

# hadolint ignore=DL3006
FROM --platform=$BUILDPLATFORM ${RUST_IMAGE} AS build
RUN rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl
COPY --from=zig /opt/zigbuild /opt/zigbuild
ENV PATH=/opt/zigbuild/bin:/opt/zigbuild/ziglang:$PATH \
    CARGO_TERM_COLOR=never
WORKDIR /src
COPY . .
ARG TARGETARCH
# Which binary of `mcp-handler-examples` to ship (or of your own package,
# with PACKAGE).
ARG PACKAGE=mcp-handler-examples
ARG BIN=demo
# Dependencies are compiled once into the cache mount and reused: a
# source-only change recompiles only the workspace crates. One folder per
# platform inside it: a multi-platform build runs its platforms at once,
# and with one folder the second would wait on cargo's lock for the first.
# The crate cache is shared by the platforms, so it is a whole CARGO_HOME:
# cargo's package-cache lock lives there too and orders their downloads
# (with only `registry/` shared, two builds unpacked the same crate at once
# and one failed).
RUN --mount=type=cache,id=mcp-handler-cargo-home,target=/cargo-home \
    --mount=type=cache,id=mcp-handler-target,target=/src/target \
    export CARGO_HOME=/cargo-home \
    && case "$TARGETARCH" in \
        amd64) triple=x86_64-unknown-linux-musl ;; \
        arm64) triple=aarch64-unknown-linux-musl ;; \
        *) echo "unsupported TARGETARCH '$TARGETARCH' (amd64 or arm64)" >&2; exit 1 ;; \
    esac \
    && cargo zigbuild --release --locked --target "$triple" --target-dir "target/$TARGETARCH" \
        -p "$PACKAGE" --bin "$BIN" \
    && mkdir -p /out/etc/ssl/certs /out/usr/local/bin \
    && cp "target/$TARGETARCH/$triple/release/$BIN" /out/usr/local/bin/mcp-server \
    && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
    && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /out/etc/passwd \
    && printf 'root:x:0:\nnonroot:x:65532:\n' > /out/etc/group

FROM scratch
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="mcp-handler" \
      org.opencontainers.image.description="A Model Context Protocol server built with mcp-handler" \
      org.opencontainers.image.source="https://github.com/mcp-handler/mcp-handler" \
      org.opencontainers.image.url="https://github.com/mcp-handler/mcp-handler" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
COPY --from=build /out/ /
# Secure by default: a port published on a workstation answers only local
# Host names (DNS-rebinding defence). Behind a load balancer or ingress, set
# MCP_ALLOWED_HOSTS to the names clients use (the infra/ templates do).
ENV MCP_BIND=0.0.0.0:8080 \
    MCP_ALLOWED_HOSTS=localhost,127.0.0.1,[::1] \
    MCP_LOG_FORMAT=json \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
EXPOSE 8080
STOPSIGNAL SIGTERM
# Deep: a real MCP round trip (server/discover) through the endpoint clients use,
# with the configured auth token; `healthcheck` alone is the cheap liveness
# probe of /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/mcp-server", "healthcheck", "--deep"]
ENTRYPOINT ["/usr/local/bin/mcp-server"]
