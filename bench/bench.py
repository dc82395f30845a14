#!/usr/bin/env python3
"""redis-timeout-exporter against Debian's prometheus-redis-exporter, in one run on the same
loopback redis-servers. Starts every process itself on free ports, stops each by PID, prints a
side-by-side table with the goals of issue 11. Never fails on a figure: exit 0 whenever the
bench ran, non-zero only when it could not (a process did not start, a tool is missing).

Usage: bench/bench.py --exporter build-bench/redis-timeout-exporter [--seconds 60] [--smoke]
(`make bench` builds the exporter and calls this; docs/performance.md explains each figure)."""

import argparse
import concurrent.futures
import datetime
import gzip
import http.client
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402  (the bench's own pure parsers, next to this file)

CLK_TCK = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024
REDIS_EXPORTER = "prometheus-redis-exporter"
PING = b"*1\r\n$4\r\nPING\r\n"


class BenchError(Exception):
    """The bench could not run (not a figure that missed its goal)."""


class ExitedEarly(BenchError):
    """A process the bench started exited before it was ready."""


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Processes: every one the bench starts is recorded and stopped by its PID.

class Processes:
    def __init__(self, workdir):
        self.workdir = workdir
        self.running = []  # (name, Popen)

    def start(self, name, argv):
        log_file = open(os.path.join(self.workdir, name + ".log"), "wb")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file,
                                stderr=subprocess.STDOUT, cwd=self.workdir)
        log_file.close()
        self.running.append((name, proc))
        return proc

    def log_text(self, name):
        try:
            with open(os.path.join(self.workdir, name + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, name, lines=15):
        return "".join(self.log_text(name).splitlines(keepends=True)[-lines:])

    def stop(self, proc):
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        self.running = [(n, p) for n, p in self.running if p is not proc]

    def stop_all(self):
        for _, proc in reversed(list(self.running)):
            self.stop(proc)


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        return measure.parse_proc_stat_cpu_ticks(f.read()) / CLK_TCK


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return f.read()


def proc_rss_bytes(pid):
    return measure.parse_proc_status_kib(proc_status(pid), "VmRSS") * 1024


def proc_threads_fds(pid):
    threads = measure.parse_proc_status_kib(proc_status(pid), "Threads")
    return threads, len(os.listdir(f"/proc/{pid}/fd"))


# ---------------------------------------------------------------------------------------------
# Redis: a minimal RESP client, enough for PING and INFO.

class RedisClient:
    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def command(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg.encode() if isinstance(arg, str) else arg
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise BenchError("redis closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise BenchError("redis error: " + rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise BenchError(f"unexpected RESP reply {line!r}")

    def raw_ping_seconds(self):
        """One PING round trip, as lean as Python allows: send, read until +PONG."""
        start = time.perf_counter_ns()
        self.sock.sendall(PING)
        reply = b""
        while not reply.endswith(b"+PONG\r\n"):
            chunk = self.sock.recv(64)
            if not chunk:
                raise BenchError("redis closed the PING connection")
            reply += chunk
        return (time.perf_counter_ns() - start) / 1e9


def start_redis(procs, name):
    """A throw-away redis-server on a free loopback port (no persistence); returns its port."""
    for _ in range(5):
        port = free_port()
        datadir = os.path.join(procs.workdir, name)
        os.makedirs(datadir, exist_ok=True)
        proc = procs.start(name, ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", datadir])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                client = RedisClient(port, timeout=1)
                client.command("PING")
                client.close()
                return port, proc
            except (OSError, BenchError):
                time.sleep(0.05)
        procs.stop(proc)  # lost the port to another process: try another
    raise BenchError(f"redis-server {name} did not start:\n{procs.log_tail(name)}")


def commandstats(port):
    client = RedisClient(port)
    try:
        return measure.parse_commandstats(client.command("INFO", "commandstats"))
    finally:
        client.close()


def commandstats_window_end(port, before):
    """Commands run since `before`, less the bench's own `INFO commandstats` that took `before`
    (its cost is measured as that of a second reading taken right after the first)."""
    for _ in range(5):  # a pair with an exporter's command in between does not say the cost
        first = commandstats(port)
        second = commandstats(port)
        own = measure.commandstats_delta(first, second)
        if list(own) == ["info"] and own["info"][0] == 1:
            break
    else:
        raise BenchError(f"redis-server :{port} never stayed idle between two INFO readings")
    delta = measure.commandstats_delta(before, first)
    calls, usec = delta.get("info", (0, 0))
    delta["info"] = (calls - 1, max(0, usec - own["info"][1]))
    return delta


# ---------------------------------------------------------------------------------------------
# HTTP

def http_get(port, path, gzip_ok=False, timeout=30):
    """(status, headers, body, seconds) of one GET on a fresh connection."""
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        seconds = time.perf_counter() - start
        return response.status, dict(response.getheaders()), body, seconds
    finally:
        conn.close()


def gzipped(headers):
    return any(k.lower() == "content-encoding" and v.strip().lower() == "gzip"
               for k, v in headers.items())


def metrics_text(headers, body):
    if gzipped(headers):
        body = gzip.decompress(body)
    return body.decode(errors="replace")


def wait_http(port, path, ready, proc, procs, name, timeout):
    """Polls GET path until ready(body text) holds; the process dying or the timeout is an
    error carrying the tail of its log."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ExitedEarly(f"{name} exited ({proc.returncode}):\n{procs.log_tail(name)}")
        try:
            status, headers, body, _ = http_get(port, path, timeout=10)
            last = metrics_text(headers, body)
            if status == 200 and ready(last):
                return last
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{name} not ready after {timeout} s on {path}:\n{procs.log_tail(name)}")


def wrk(port, path, seconds, close):
    argv = ["wrk", "-t1", "-c4", f"-d{seconds}s", f"http://127.0.0.1:{port}{path}"]
    if close:
        argv[1:1] = ["-H", "Connection: close"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return measure.parse_wrk(done.stdout)


# ---------------------------------------------------------------------------------------------
# The two exporters

def write_config(path, ports_by_target, poll, probe, latency_window):
    lines = ["# Written by bench/bench.py for one run.",
             f"poll_interval: {poll}s", f"probe_interval: {probe}s",
             f"latency_window: {latency_window}s", "targets:"]
    for name, port in ports_by_target:
        lines += [f"  - name: {name}", f"    address: 127.0.0.1:{port}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def start_listening(procs, name, argv_for_port, path, ready, timeout):
    """Starts a server on a free port and waits until GET path satisfies ready(); when the
    process exits first (another process took the port in between), tries another port."""
    for attempt in range(3):
        port = free_port()
        proc = procs.start(name, argv_for_port(port))
        try:
            wait_http(port, path, ready, proc, procs, name, timeout)
            return port, proc
        except ExitedEarly:
            procs.stop(proc)
            if attempt == 2:
                raise


def start_ours(procs, exporter, name, ports_by_target, poll, probe, latency_window, timeout):
    config = os.path.join(procs.workdir, name + ".yaml")
    write_config(config, ports_by_target, poll, probe, latency_window)
    want = len(ports_by_target)
    return start_listening(
        procs, name,
        lambda port: [exporter, f"--config.file={config}",
                      f"--web.listen-address=127.0.0.1:{port}", "--log.level=info"],
        "/metrics",
        lambda text: measure.count_targets_up(measure.parse_prometheus_samples(text)) == want,
        timeout)


def start_theirs(procs, name, redis_port):
    return start_listening(
        procs, name,
        lambda port: [REDIS_EXPORTER, f"-web.listen-address=127.0.0.1:{port}",
                      f"-redis.addr=redis://127.0.0.1:{redis_port}"],
        "/metrics", lambda text: "\nredis_up 1" in text, 30)


# ---------------------------------------------------------------------------------------------
# Phase 1: one target each

def phase_one_target(procs, args, results):
    log("one target: starting two redis-servers and both exporters")
    ours_redis, _ = start_redis(procs, "redis-ours")
    theirs_redis, _ = start_redis(procs, "redis-theirs")
    window = args.seconds
    ours_port, ours = start_ours(procs, args.exporter, "ours-1", [("t0000", ours_redis)],
                                 args.poll, args.probe, window, 30)
    theirs_port, theirs = start_theirs(procs, "theirs-1", theirs_redis)
    time.sleep(args.poll)  # one poll interval: first connects settle before anything is measured

    log(f"one target: {window} s of Redis time per poll/scrape and raw PINGs")
    before_ours = commandstats(ours_redis)
    before_theirs = commandstats(theirs_redis)
    raw_pings = []
    ping_client = RedisClient(ours_redis)
    stop = threading.Event()

    def ping_loop():
        # Same idle time as our probe: one PING per probe interval on a persistent connection.
        while not stop.wait(args.probe):
            raw_pings.append(ping_client.raw_ping_seconds())

    pinger = threading.Thread(target=ping_loop)
    pinger.start()
    scrapes = 0
    start = time.monotonic()
    try:
        while time.monotonic() - start < window:  # Prometheus's cadence: a scrape per interval
            status, _, _, _ = http_get(theirs_port, "/metrics", gzip_ok=True)
            if status != 200:
                raise BenchError(f"redis_exporter /metrics answered {status}")
            scrapes += 1
            time.sleep(max(0.0, start + scrapes * args.poll - time.monotonic()))
    finally:
        stop.set()
        pinger.join()
        ping_client.close()
    delta_ours = commandstats_window_end(ours_redis, before_ours)
    delta_theirs = commandstats_window_end(theirs_redis, before_theirs)

    # The bench's PINGs went to our server too: take them out at that window's PING cost/call.
    ping_calls, ping_usec = delta_ours.get("ping", (0, 0))
    if ping_calls:
        delta_ours["ping"] = (ping_calls - len(raw_pings),
                              ping_usec - round(ping_usec * len(raw_pings) / ping_calls))
    polls = delta_ours.get("latency|latest", (0, 0))[0]
    ours_usec = sum(usec for _, usec in delta_ours.values())
    theirs_usec = sum(usec for _, usec in delta_theirs.values())
    results["redis_usec_per_poll"] = ours_usec / polls if polls else None
    results["redis_usec_per_scrape"] = theirs_usec / scrapes if scrapes else None
    results["redis_polls"], results["redis_scrapes"] = polls, scrapes
    results["redis_commands_ours"] = delta_ours
    results["redis_commands_theirs"] = delta_theirs

    _, headers, body, _ = http_get(ours_port, "/metrics")
    results["probe_median"] = measure.probe_median_seconds(
        measure.parse_prometheus_samples(metrics_text(headers, body)))
    results["raw_ping_median"] = measure.median(raw_pings)
    results["raw_pings"] = len(raw_pings)
    results["rss_1_ours"] = proc_rss_bytes(ours.pid)
    results["rss_1_theirs"] = proc_rss_bytes(theirs.pid)

    duration = max(1, round(args.seconds / 6))
    for close in (False, True):
        kind = "close" if close else "keepalive"
        for who, port in (("ours", ours_port), ("theirs", theirs_port)):
            log(f"one target: wrk {kind} {duration} s against {who}")
            results[f"wrk_{kind}_{who}"] = wrk(port, "/metrics", duration, close)
    status = proc_status(ours.pid)
    results["rss_1_ours_peak"] = measure.parse_proc_status_kib(status, "VmHWM") * 1024
    for proc in (ours, theirs):
        procs.stop(proc)
    procs.stop_all()  # the two redis-servers


# ---------------------------------------------------------------------------------------------
# Phase 2: many targets

class ScrapeScheduler:
    """Drives redis_exporter's /scrape?target= for every target once per interval, spread evenly
    over the interval as Prometheus spreads its scrape offsets, on a pool of worker threads that
    keep their connections alive as Prometheus does. Like a Prometheus scrape loop, a target
    whose previous scrape has not finished skips its turn: on a saturated host the bench counts
    missed scrapes instead of queueing them."""

    def __init__(self, port, redis_ports, interval, workers=32):
        self.port, self.redis_ports, self.interval = port, redis_ports, interval
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
        self.local = threading.local()
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = set()
        self.errors = self.done = self.skipped = 0
        self.thread = threading.Thread(target=self._run)

    def start(self):
        self.thread.start()

    def counts(self):
        with self.lock:
            return self.done, self.errors, self.skipped

    def _scrape(self, index):
        path = f"/scrape?target=redis://127.0.0.1:{self.redis_ports[index]}"
        ok = False
        for _ in range(2):  # once more on a fresh connection when the kept one was closed
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                                    timeout=30)
            try:
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
        with self.lock:
            self.in_flight.discard(index)
            self.done += 1
            self.errors += 0 if ok else 1

    def _run(self):
        start = time.monotonic()
        step = self.interval / len(self.redis_ports)
        n = 0
        while not self.stop_event.is_set():
            wait = start + n * step - time.monotonic()
            if wait > 0 and self.stop_event.wait(wait):
                break
            index = n % len(self.redis_ports)
            n += 1
            with self.lock:
                if index in self.in_flight:
                    self.skipped += 1
                    continue
                self.in_flight.add(index)
            self.pool.submit(self._scrape, index)

    def stop(self):
        self.stop_event.set()
        self.thread.join()
        self.pool.shutdown(wait=True, cancel_futures=True)


def scrape_theirs(port, redis_port, gzip_ok):
    status, _, body, seconds = http_get(
        port, f"/scrape?target=redis://127.0.0.1:{redis_port}", gzip_ok=gzip_ok)
    if status != 200:
        raise BenchError(f"redis_exporter /scrape answered {status}")
    return len(body), seconds


def cpu_window(ours, theirs, scheduler, args, results):
    """CPU, RSS, threads and fds of both exporters over one window of args.seconds, while the
    scrape loops run."""
    n = args.targets
    log(f"{n} targets: {args.seconds} s CPU window")
    cpu0 = {"ours": proc_cpu_seconds(ours.pid), "theirs": proc_cpu_seconds(theirs.pid),
            "bench": sum(resource.getrusage(resource.RUSAGE_SELF)[:2])}
    t0 = time.monotonic()
    done0, errors0, skipped0 = scheduler.counts()
    rss_peak = {"ours": 0, "theirs": 0}
    while time.monotonic() - t0 < args.seconds:
        for who, proc in (("ours", ours), ("theirs", theirs)):
            rss_peak[who] = max(rss_peak[who], proc_rss_bytes(proc.pid))
        time.sleep(min(1.0, max(0.0, args.seconds - (time.monotonic() - t0))))
    elapsed = time.monotonic() - t0
    # The driver's own share and the host's load: a saturated host explains skipped scrapes.
    results["cpu_bench"] = (sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) -
                            cpu0["bench"]) / elapsed
    results["loadavg"] = os.getloadavg()[0]
    for who, proc in (("ours", ours), ("theirs", theirs)):
        results[f"cpu_{who}"] = (proc_cpu_seconds(proc.pid) - cpu0[who]) / elapsed
        results[f"rss_end_{who}"] = proc_rss_bytes(proc.pid)
        results[f"rss_{who}"] = max(rss_peak[who], results[f"rss_end_{who}"])
        results[f"threads_{who}"], results[f"fds_{who}"] = proc_threads_fds(proc.pid)
    done1, errors1, skipped1 = scheduler.counts()
    results["scrapes_in_window"] = done1 - done0
    results["scrapes_skipped"] = skipped1 - skipped0
    results["scrapes_due"] = round(elapsed / args.poll * n)
    results["scrape_errors"] = errors1 - errors0
    # CPU for one cycle of every target: ours polls each once per poll interval (and serves
    # one /metrics); theirs is normalised by the scrapes it really served, which on a saturated
    # host are fewer than were due.
    results["cycle_cpu_ours"] = results["cpu_ours"] * args.poll
    scraped = results["scrapes_in_window"]
    results["cycle_cpu_theirs"] = (results["cpu_theirs"] * elapsed / scraped * n
                                   if scraped else None)
    results["cpu_window"] = elapsed


def phase_many_targets(procs, args, results):
    n, servers = args.targets, args.servers
    log(f"{n} targets: starting {servers} redis-servers")
    server_ports = [start_redis(procs, f"redis-{i:02d}")[0] for i in range(servers)]
    target_ports = [server_ports[i % servers] for i in range(n)]
    ours_port, ours = start_ours(procs, args.exporter, f"ours-{n}",
                                 [(f"t{i:04d}", p) for i, p in enumerate(target_ports)],
                                 args.poll, args.probe, 60, 120)
    theirs_port, theirs = start_theirs(procs, f"theirs-{n}", server_ports[0])
    log(f"{n} targets: both exporters up; redis_exporter scraped through /scrape every "
        f"{args.poll} s, ours scraped every {args.poll} s")

    scheduler = ScrapeScheduler(theirs_port, target_ports, args.poll)
    stop = threading.Event()

    def scrape_ours():  # what Prometheus does to us: one gzip-accepting scrape per interval
        while not stop.wait(args.poll):
            http_get(ours_port, "/metrics", gzip_ok=True)

    our_scraper = threading.Thread(target=scrape_ours)
    scheduler.start()
    our_scraper.start()
    try:
        time.sleep(args.poll)  # warm-up: one full cycle of both
        cpu_window(ours, theirs, scheduler, args, results)
    finally:
        stop.set()
        our_scraper.join()
        scheduler.stop()

    log(f"{n} targets: /metrics size and serve time")
    repeats = 2 if args.smoke else 5
    for gzip_ok, kind in ((False, "plain"), (True, "gzip")):
        sizes, times, encoded = [], [], False
        for _ in range(repeats):
            status, headers, body, seconds = http_get(ours_port, "/metrics", gzip_ok=gzip_ok)
            if status != 200:
                raise BenchError(f"our /metrics answered {status}")
            encoded = gzipped(headers)
            if not sizes:
                # The page parses (after decompression too); a target whose last poll failed
                # on a saturated host is a finding to print, not a reason to stop.
                up = measure.count_targets_up(
                    measure.parse_prometheus_samples(metrics_text(headers, body)))
                results["targets_up_min"] = min(up, results.get("targets_up_min", up))
            sizes.append(len(body))
            times.append(seconds)
        results[f"size_{kind}_ours"] = measure.median(sizes)
        results[f"serve_{kind}_ours"] = measure.median(times)
        results[f"gzip_ours"] = encoded if gzip_ok else results.get("gzip_ours")
        # Theirs: one scrape of each server, one at a time as ours above (a serve time, not a
        # queueing delay). The targets of one server are that same server, so a cycle's bytes
        # are each server's page times the number of its targets.
        sampled = {p: scrape_theirs(theirs_port, p, gzip_ok) for p in server_ports}
        results[f"size_{kind}_theirs"] = sum(sampled[p][0] for p in target_ports)
        results[f"serve_{kind}_theirs"] = measure.median([t for _, t in sampled.values()])
    our_log = procs.log_text(f"ours-{n}")
    results["poll_failures"] = measure.count_poll_failures(our_log)
    results["recoveries"] = our_log.count("event=target_recovered")
    procs.stop_all()


# ---------------------------------------------------------------------------------------------
# The table

def fmt(value, unit):
    if value is None:
        return "n/a"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "core":
        return f"{value:.3f} core"
    if unit == "MiB":
        return f"{value / MIB:.1f} MiB"
    if unit == "bytes":
        return f"{value / MIB:.2f} MiB" if value >= MIB else f"{value / 1024:.1f} KiB"
    if unit == "s":
        return f"{value * 1e3:.2f} ms" if value >= 1e-3 else f"{value * 1e6:.0f} µs"
    if unit == "cpu-s":
        return f"{value:.3f} cpu-s"
    if unit == "us":
        return f"{value:.0f} µs"
    return f"{value:g}"


def ratio(ours, theirs):
    if ours is None or theirs is None or theirs == 0:
        return None
    return ours / theirs


def verdict(holds, smoke):
    if smoke:
        return "not judged"
    if holds is None:
        return "n/a"
    return "met" if holds else "NOT MET"


def table_rows(r, args):
    n = args.targets
    rows = []

    def row(label, ours, theirs, unit, goal="", holds=None, show_ratio=True):
        q = ratio(ours, theirs) if show_ratio else None
        rows.append((label, fmt(ours, unit), fmt(theirs, unit),
                     f"{q:.2f}x" if q is not None else "—", goal,
                     verdict(holds, args.smoke) if goal else "—"))
        return q

    for kind, label in (("keepalive", "keep-alive, wrk -c4"),
                        ("close", "Connection: close, wrk -c4")):
        ours, theirs = r[f"wrk_{kind}_ours"], r[f"wrk_{kind}_theirs"]
        q = ratio(ours["requests_per_second"], theirs["requests_per_second"])
        row(f"/metrics req/s, 1 target, {label}", ours["requests_per_second"],
            theirs["requests_per_second"], "req/s", "≥ 20x", None if q is None else q >= 20)
    row(f"CPU at {n} targets, cores over the window", r["cpu_ours"],
        r["cpu_theirs"], "core", "≤ 0.2 core", r["cpu_ours"] <= 0.2)
    rows.append(("work done in the window (ours: targets up after it; theirs: scrapes)",
                 f"{r['targets_up_min']} of {n} up",
                 f"{r['scrapes_in_window']} of {r['scrapes_due']} due", "—", "", "—"))
    row(f"CPU-seconds per cycle of {n} targets (theirs: per scrape served x {n})",
        r["cycle_cpu_ours"], r["cycle_cpu_theirs"], "cpu-s")
    row(f"RSS at {n} targets (peak in window)", r["rss_ours"], r["rss_theirs"], "MiB",
        "≤ 48 MiB", r["rss_ours"] <= 48 * MIB)
    for what, key, unit, show_ratio in (("bytes per cycle", "size", "bytes", True),
                                        ("serve time (theirs: per target)", "serve", "s", False)):
        for kind in ("plain", "gzip"):
            label = f"/metrics {what}, {n} targets, {kind}"
            if kind == "gzip" and not r["gzip_ours"]:
                rows.append((label, "no gzip", fmt(r[f"{key}_gzip_theirs"], unit), "—", "", "—"))
            else:
                row(label, r[f"{key}_{kind}_ours"], r[f"{key}_{kind}_theirs"], unit,
                    show_ratio=show_ratio)
    q = ratio(r["redis_usec_per_poll"], r["redis_usec_per_scrape"])
    row("Redis main-thread time per poll / per scrape", r["redis_usec_per_poll"],
        r["redis_usec_per_scrape"], "us", "≤ 0.5x", None if q is None else q <= 0.5)
    row("RSS, 1 target", r["rss_1_ours"], r["rss_1_theirs"], "MiB", "≤ 8 MiB",
        r["rss_1_ours"] <= 8 * MIB)
    row("probe PING median vs the bench's raw PING (other column)", r["probe_median"],
        r["raw_ping_median"], "s")
    row(f"threads at {n} targets", r["threads_ours"], r["threads_theirs"], "")
    row(f"open fds at {n} targets", r["fds_ours"], r["fds_theirs"], "")
    return rows


def print_table(rows):
    header = ("measure", "redis-timeout-exporter", "redis_exporter", "ratio", "goal", "verdict")
    widths = [max(len(str(x[i])) for x in rows + [header]) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


def print_details(r, args):
    def wrk_note(who):
        parts = []
        for kind in ("keepalive", "close"):
            w = r[f"wrk_{kind}_{who}"]
            lat = fmt(w["latency_avg_seconds"], "s")
            parts.append(f"{kind}: {w['requests']} requests, mean latency {lat}, "
                         f"{w['errors']} socket errors, {w['non_2xx']} non-2xx")
        return "; ".join(parts)
    print()
    print(f"wrk ours:   {wrk_note('ours')}")
    print(f"wrk theirs: {wrk_note('theirs')}")
    print(f"CPU window {r['cpu_window']:.1f} s: redis_exporter completed "
          f"{r['scrapes_in_window']} scrapes of the {r['scrapes_due']} due "
          f"({r['scrape_errors']} failed, {r['scrapes_skipped']} skipped: the previous scrape of "
          f"that target had not finished); the bench's own Python used "
          f"{r['cpu_bench']:.2f} core; 1-minute load average at the end "
          f"{r['loadavg']:.1f} on {os.cpu_count()} CPUs")
    stages = ", ".join(f"{stage} {count}" for stage, count in sorted(r["poll_failures"].items()))
    print(f"our /metrics after the window showed at least {r['targets_up_min']} of "
          f"{args.targets} targets up; event=poll_failed lines in our log over the whole run, "
          f"by stage: {stages or 'none'}; event=target_recovered lines: {r['recoveries']}")
    print(f"RSS at {args.targets} targets at the end of the window: ours "
          f"{fmt(r['rss_end_ours'], 'MiB')}, theirs {fmt(r['rss_end_theirs'], 'MiB')}")
    print(f"our RSS with 1 target after the wrk runs (VmHWM, the peak): "
          f"{fmt(r['rss_1_ours_peak'], 'MiB')}")
    print(f"Redis time: our {r['redis_polls']} polls vs their {r['redis_scrapes']} scrapes; "
          f"probe median from {r['raw_pings']} raw PINGs")
    for who in ("ours", "theirs"):
        cmds = r[f"redis_commands_{who}"]
        listed = ", ".join(f"{name} {calls}x {usec} µs" for name, (calls, usec) in
                           sorted(cmds.items(), key=lambda kv: -kv[1][1]))
        print(f"commandstats {who}: {listed}")
    if not r["gzip_ours"]:
        print("no gzip: our /metrics answered Accept-Encoding: gzip uncompressed")


def machine_header(args):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def version(argv):
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            first = (done.stdout + done.stderr).strip().splitlines()[0]
            # redis_exporter prints its version as a log line: keep only the message.
            return first.split('msg="', 1)[1].rstrip('"') if 'msg="' in first else first
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return [
        f"date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"machine: {os.cpu_count()} CPUs ({cpu}), kernel {platform.release()}",
        f"ours: {version([args.exporter, '--version'])}",
        f"redis_exporter: {version([REDIS_EXPORTER, '-version'])}",
        f"redis-server: {version(['redis-server', '--version'])}",
        f"mode: {'smoke' if args.smoke else 'full'}; windows {args.seconds} s; "
        f"{args.targets} targets on {args.servers} redis-servers; poll {args.poll} s, "
        f"probe {args.probe} s; RLIMIT_NOFILE {soft}/{hard}",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exporter", required=True, help="the redis-timeout-exporter binary")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 60)),
                        help="each measurement window (default $BENCH_SECONDS or 60)")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds-long run of every code path: figures mean nothing")
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, configs)")
    args = parser.parse_args()
    args.poll, args.probe = 5, 1
    if args.smoke:
        args.seconds, args.targets, args.servers, args.poll = 3, 20, 2, 1
    args.exporter = os.path.abspath(args.exporter)
    for tool in ("redis-server", "wrk", REDIS_EXPORTER):
        if not shutil.which(tool):
            print(f"bench: {tool} is missing: run scripts/install-deps.sh bench", file=sys.stderr)
            return 2
    if not os.access(args.exporter, os.X_OK):
        print(f"bench: {args.exporter} is not an executable", file=sys.stderr)
        return 2

    # Both exporters keep one or two sockets per target: the children inherit the hard limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    workdir = tempfile.mkdtemp(prefix="rte-bench-")
    procs = Processes(workdir)
    results = {}
    header = machine_header(args)
    started = time.monotonic()
    try:
        phase_one_target(procs, args, results)
        phase_many_targets(procs, args, results)
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
        if args.keep:
            log(f"work dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(header))
    print(f"bench took {time.monotonic() - started:.0f} s")
    if args.smoke:
        print("SMOKE RUN: every code path ran; the figures mean nothing and are not judged")
    print()
    print_table(table_rows(results, args))
    print_details(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
