# redis-timeout-exporter on Debian 12, from Debian packages only.
# Build: scripts/build-image.sh (buildah; `make image`), or `docker build .` / `podman build .`.
# Run:   README.md, "Container image".

# Stage 1: the daemon, compiled here; or, with --build-arg PREBUILT=<path in the context>, a
# daemon already built for Debian 12 and stripped (scripts/build-image.sh --binary, which is how
# `make test` skips a second compile of what it has just built).
FROM debian:12-slim AS build
ARG PREBUILT=""
WORKDIR /src
# .dockerignore lets in only CMakeLists.txt, src/, config/ and the prebuilt binary.
COPY . ./
RUN set -eu; \
    if [ -n "$PREBUILT" ]; then \
      install -D -m 0755 "$PREBUILT" /out/redis-timeout-exporter; \
    else \
      apt-get update; \
      apt-get install -y --no-install-recommends g++ cmake make pkg-config libhiredis-dev \
        prometheus-cpp-dev libyaml-cpp-dev libspdlog-dev libevent-dev nlohmann-json3-dev \
        zlib1g-dev libssl-dev libcrypt-dev; \
      cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRTE_BUILD_TESTS=OFF; \
      cmake --build build -j"$(nproc)" --target redis-timeout-exporter; \
      mkdir -p /out; \
      strip --strip-unneeded -o /out/redis-timeout-exporter build/redis-timeout-exporter; \
    fi

# Stage 2: the run-time libraries, the binary and the default config; no compiler, no sources.
FROM debian:12-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="redis-timeout-exporter" \
      org.opencontainers.image.description="Prometheus exporter: which of five causes (pool, network, memory, slowlog, backlog) is about to make Redis time out" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/redis-timeout-exporter/redis-timeout-exporter" \
      org.opencontainers.image.base.name="docker.io/library/debian:12-slim" \
      org.opencontainers.image.documentation="https://github.com/redis-timeout-exporter/redis-timeout-exporter/blob/main/README.md"
# libssl3, libevent-openssl-2.1-7 and libcrypt1 are dlopen()ed, not linked (ldd omits them):
# only a TLS target or a web config with TLS or basic auth loads them.
RUN set -eu; \
    apt-get update; \
    apt-get install -y --no-install-recommends libhiredis0.14 libprometheus-cpp-core1.0 \
      libyaml-cpp0.7 libspdlog1.10 libfmt9 libevent-core-2.1-7 libevent-extra-2.1-7 \
      libevent-pthreads-2.1-7 libevent-openssl-2.1-7 libssl3 zlib1g libcrypt1 ca-certificates; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; \
    useradd --system --uid 65532 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin exporter
COPY --from=build /out/redis-timeout-exporter /usr/local/bin/redis-timeout-exporter
COPY config/redis-timeout-exporter.yaml /etc/redis-timeout-exporter/config.yaml
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
EXPOSE 9478
# The host's kernel counters: -v /proc:/host/proc:ro and --path.procfs=/host/proc; the accept
# queue (listen_queue_*) of a Redis on the host: --network host as well.
ENTRYPOINT ["/usr/local/bin/redis-timeout-exporter"]
CMD ["--config.file=/etc/redis-timeout-exporter/config.yaml", "--web.listen-address=:9478"]
