# Builds and runs redis-timeout-exporter on Debian 12, from Debian packages only.
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ cmake make pkg-config libhiredis-dev \
      prometheus-cpp-dev libyaml-cpp-dev libspdlog-dev libevent-dev nlohmann-json3-dev catch2 \
      zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src ./src
COPY tests ./tests
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRTE_BUILD_TESTS=OFF \
 && cmake --build build -j"$(nproc)" --target redis-timeout-exporter

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libhiredis0.14 libprometheus-cpp-core1.0 \
      libyaml-cpp0.7 libspdlog1.10 libfmt9 libevent-core-2.1-7 libevent-extra-2.1-7 \
      libevent-pthreads-2.1-7 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin exporter
COPY --from=build /src/build/redis-timeout-exporter /usr/local/bin/redis-timeout-exporter
COPY config/redis-timeout-exporter.yaml /etc/redis-timeout-exporter/config.yaml
USER exporter
EXPOSE 9478
# For the host's kernel counters: -v /proc:/host/proc:ro and add --path.procfs=/host/proc;
# for listen_queue_* run with --network host.
ENTRYPOINT ["/usr/local/bin/redis-timeout-exporter"]
CMD ["--config.file=/etc/redis-timeout-exporter/config.yaml", "--web.listen-address=:9478"]
