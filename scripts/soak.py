#!/usr/bin/env python3
"""Soak test of redis-timeout-exporter (issue 13): 100 targets on loopback redis-servers, five of
them under a fault that comes and goes in a 20 s cycle, a config reload every minute, /metrics
(plain and gzip) and /triage scraped without pause. It prints the exporter's RSS, open fds and
threads at the start and at the end and fails (exit 1) on growth beyond noise, on a failed or
slow scrape, a failed reload, or when the exporter exits.

Usage: scripts/soak.py --exporter build/redis-timeout-exporter [--seconds 3600] [--keep]
(`make soak` builds the daemon and calls this with SOAK_SECONDS; `make test` runs 60 s).
Exit status: 0 passed, 1 failed (the reasons on the last line), 2 could not start.

The cycle (CYCLE_SECONDS): at 0 s the flapping server is killed (SIGKILL), the hung one stopped
(SIGSTOP), the blocking one runs DEBUG SLEEP 3 and the memory one is flushed; at 2 s the config
is reloaded when due (every third cycle: a minute; every cycle in runs under 3 minutes), by
POST /-/reload and SIGHUP in turn, alternating two configs that differ in 5 target names and
5 changed targets; at 4 s the flapping server restarts (on a port below the ephemeral range,
so no outgoing connection takes it meanwhile) and the memory one is filled again up to its
maxmemory (noeviction: writes answer OOM); at 10 s the hung one continues (SIGCONT). The pool
server has maxclients 64 with 44 named idle clients all along. From 14 s to 20 s the
figures are sampled, in the cycle after the warm-up (20% of the run, at least 15 s) and in the
last one, so both readings are taken at the same phase. The config's latency_window and
risk_window are 10 s (60 s by default), so they are full before the first reading.

What is judged, on the least value of each figure over its 6 s window:
- RSS may grow by 5% or 1 MiB, whichever is larger (allocator noise on a ~15 MiB process);
- open fds, without the sockets that come and go by design (connections to the five fault
  servers, whose reconnect backoff differs from cycle to cycle, and scrapers' established HTTP
  connections), may not grow at all; a socket left in CLOSE_WAIT counts, wherever it leads;
- connections to the fault servers may not exceed 3 per target (poll, probe, fresh-connect
  probe) in the last window;
- threads may not grow;
- every scrape answers 200 (gzip when asked) within SCRAPE_TIMEOUT; scrapes slower than 1 s are
  tolerated up to 1% of them (a 2-core host shared with builds stalls a thread now and then;
  reloads happen during faults and must not slow scrapes beyond that);
- every reload succeeds, the target set on /metrics follows it, and in the last window every
  target of a healthy server is up at least once.
"""

import argparse
import http.client
import math
import os
import random
import resource
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import bench  # noqa: E402  (processes, RESP client and HTTP helpers; importing runs nothing)
import measure  # noqa: E402

MIB = 1024 * 1024
CYCLE_SECONDS = 20
WINDOW = (14.0, 20.0)  # sampling window within a cycle: every fault server up for 4 s
SAMPLE_EVERY = 0.25
SCRAPE_EVERY = 0.2
SCRAPE_SLOW = 1.0
SCRAPE_TIMEOUT = 5.0
SLOW_TOLERATED = 0.01
RSS_GROWTH_RATIO = 0.05
RSS_GROWTH_FLOOR = 1 * MIB
HEALTHY_SERVERS = 4
TARGETS_PER_HEALTHY = 15
TARGETS_PER_FAULT = 8
FAULTS = ("flap", "hang", "memory", "pool", "block")
POOL_MAXCLIENTS, POOL_IDLE_CLIENTS, POOL_SIZE = 64, 44, 48
CONNECTIONS_PER_TARGET = 3
SWAPPED = 5  # targets of healthy servers renamed by the alternate config
TCP_STATES = {"01": "established", "02": "syn_sent", "08": "close_wait", "0A": "listen"}


class SoakError(Exception):
    """The soak could not go on (a process exited, a server did not start)."""


def log(message):
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Pure: /proc/net/tcp and the fd classification

def parse_proc_net_tcp(text):
    """/proc/net/tcp or tcp6 -> {inode: (local_port, remote_port, state)}."""
    sockets = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        local, remote = fields[1].rsplit(":", 1)[1], fields[2].rsplit(":", 1)[1]
        state = TCP_STATES.get(fields[3], fields[3])
        sockets[fields[9]] = (int(local, 16), int(remote, 16), state)
    return sockets


def classify_fds(links, sockets, fault_ports, http_port):
    """(all fds, steady fds, connections to fault servers) from the fd symlink texts: steady
    leaves out the established connections to fault servers and of scrapers."""
    steady = fault = 0
    for link in links:
        inode = link[len("socket:["):-1] if link.startswith("socket:[") else None
        local, remote, state = sockets.get(inode, (None, None, None))
        live = state in ("established", "syn_sent")
        if live and remote in fault_ports:
            fault += 1
        elif not (live and local == http_port):
            steady += 1
    return len(links), steady, fault


def growth_verdicts(start, end, fault_targets):
    """[(label, start, end, growth text, allowed text, ok)] for the figures of two windows."""
    rows = []
    rss_allowed = max(start["rss"] * RSS_GROWTH_RATIO, RSS_GROWTH_FLOOR)
    grown = end["rss"] - start["rss"]
    rows.append(("RSS (VmRSS)", f"{start['rss'] / MIB:.1f} MiB", f"{end['rss'] / MIB:.1f} MiB",
                 f"{grown / MIB:+.2f} MiB ({grown / start['rss']:+.1%})",
                 f"+{rss_allowed / MIB:.2f} MiB (5%, at least 1 MiB)", grown <= rss_allowed))
    rows.append(("open fds, all", start["fds"], end["fds"], f"{end['fds'] - start['fds']:+d}",
                 "shown only", True))
    rows.append(("open fds, steady (see --help)", start["steady"], end["steady"],
                 f"{end['steady'] - start['steady']:+d}", "+0", end["steady"] <= start["steady"]))
    bound = CONNECTIONS_PER_TARGET * fault_targets
    rows.append(("connections to fault servers, most", start["fault_max"], end["fault_max"],
                 f"{end['fault_max'] - start['fault_max']:+d}", f"at most {bound}",
                 end["fault_max"] <= bound))
    rows.append(("threads", start["threads"], end["threads"],
                 f"{end['threads'] - start['threads']:+d}", "+0",
                 end["threads"] <= start["threads"]))
    return rows


# ---------------------------------------------------------------------------------------------
# Redis servers and their faults

def start_redis_on(procs, name, port, extra=()):
    """redis-server on a given loopback port (no persistence); None when it exits (port taken)."""
    datadir = os.path.join(procs.workdir, name)
    os.makedirs(datadir, exist_ok=True)
    proc = procs.start(name, ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", datadir, *extra])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            client = bench.RedisClient(port, timeout=1)
            client.command("PING")
            client.close()
            return proc
        except (OSError, bench.BenchError):
            time.sleep(0.05)
    procs.stop(proc)
    return None


def port_below_ephemeral():
    """A free loopback port below the kernel's ephemeral range: while the flapping server is
    down, no outgoing connection can take its port as a local port and keep it from coming
    back. Any free port when that range starts too low."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    for _ in range(20):
        port = random.randrange(10000, low) if low > 11000 else bench.free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    return bench.free_port()


def start_redis(procs, name, extra=()):
    for _ in range(5):
        port = port_below_ephemeral() if name == "flap" else bench.free_port()
        proc = start_redis_on(procs, name, port, extra)
        if proc:
            return port, proc
    raise SoakError(f"redis-server {name} did not start:\n{procs.log_tail(name)}")


class Servers:
    """The redis-servers of the soak and the faults the cycle drives."""

    EXTRA = {"memory": ("--maxmemory", "4mb", "--maxmemory-policy", "noeviction"),
             "pool": ("--maxclients", str(POOL_MAXCLIENTS)),
             "block": ("--enable-debug-command", "local")}

    def __init__(self, procs):
        self.procs = procs
        self.ports, self.proc = {}, {}
        self.idle_clients = []
        self.counts = {"flaps": 0, "hangs": 0, "blocks": 0, "fills": 0, "oom_reached": 0}

    def start(self):
        names = [f"healthy{i}" for i in range(HEALTHY_SERVERS)] + list(FAULTS)
        for name in names:
            self.ports[name], self.proc[name] = start_redis(self.procs, name,
                                                            self.EXTRA.get(name, ()))
        for i in range(POOL_IDLE_CLIENTS):
            client = bench.RedisClient(self.ports["pool"])
            client.command("CLIENT", "SETNAME", f"api-{i}")
            self.idle_clients.append(client)
        self.fill_memory()

    def fault_ports(self):
        return {self.ports[name] for name in FAULTS}

    def kill_flap(self):
        os.kill(self.proc["flap"].pid, signal.SIGKILL)
        self.procs.stop(self.proc["flap"])  # reaps it
        self.counts["flaps"] += 1

    def restart_flap(self):
        for _ in range(3):  # the port may be held a moment (a socket of another program)
            proc = start_redis_on(self.procs, "flap", self.ports["flap"])
            if proc:
                break
            time.sleep(1)
        else:
            raise SoakError(f"flap redis-server did not restart:\n{self.procs.log_tail('flap')}")
        self.proc["flap"] = proc

    def stop_hang(self):
        os.kill(self.proc["hang"].pid, signal.SIGSTOP)
        self.counts["hangs"] += 1

    def cont_hang(self):
        if self.proc["hang"].poll() is None:
            os.kill(self.proc["hang"].pid, signal.SIGCONT)

    def block(self):
        """DEBUG SLEEP 3 on a client of its own, on a thread: the soak goes on meanwhile."""
        def sleep_redis():
            client = bench.RedisClient(self.ports["block"], timeout=10)
            try:
                client.command("DEBUG", "SLEEP", "3")
            finally:
                client.close()
        threading.Thread(target=sleep_redis, daemon=True).start()
        self.counts["blocks"] += 1

    def flush_memory(self):
        self.command("memory", "FLUSHALL")

    def fill_memory(self):
        """SETs of 256 KiB until maxmemory refuses them (OOM under noeviction)."""
        client = bench.RedisClient(self.ports["memory"])
        value = b"x" * (256 * 1024)
        try:
            for i in range(64):
                client.command("SET", f"fill:{i}", value)
        except bench.BenchError as e:
            if "OOM" not in str(e):
                raise
            self.counts["oom_reached"] += 1
        finally:
            client.close()
        self.counts["fills"] += 1

    def command(self, name, *args):
        client = bench.RedisClient(self.ports[name])
        try:
            return client.command(*args)
        finally:
            client.close()

    def stop_all(self):
        """Continues the hung server (a stopped one would not act on SIGTERM), then stops all."""
        if "hang" in self.proc:
            self.cont_hang()
        for client in self.idle_clients:
            client.close()
        self.procs.stop_all()


# ---------------------------------------------------------------------------------------------
# Configs: two that differ in a few targets, alternated at each reload

def targets_of(servers, variant):
    """[(name, port, extra lines)]: 15 targets on each healthy server, 8 on each fault server.
    Variant 1 renames SWAPPED targets of healthy servers and changes client_timeout of the
    first target of each fault server, so a reload adds, removes and rebuilds targets."""
    targets = []
    for s in range(HEALTHY_SERVERS):
        for i in range(TARGETS_PER_HEALTHY):
            n = s * TARGETS_PER_HEALTHY + i
            name = f"swap{n:02d}" if variant == 1 and n < SWAPPED else f"healthy{s}-{i:02d}"
            targets.append((name, servers.ports[f"healthy{s}"], []))
    for fault in FAULTS:
        for i in range(TARGETS_PER_FAULT):
            extra = []
            if fault == "pool":
                extra.append(f'    pools: [{{name: api, client_name: "api-*", size: {POOL_SIZE}}}]')
            if variant == 1 and i == 0:
                extra.append("    client_timeout: 500ms")
            targets.append((f"{fault}-{i}", servers.ports[fault], extra))
    return targets


def write_config(path, targets):
    lines = ["# Written by scripts/soak.py; rewritten at each reload.",
             "poll_interval: 1s", "probe_interval: 1s", "client_timeout: 1s",
             "config_interval: 5s", "client_list_interval: 5s",
             # Windows of 10 s (60 s by default) are full before the first reading, so what
             # grows after it is not a window filling up.
             "latency_window: 10s", "thresholds: {risk_window: 10s}", "targets:"]
    for name, port, extra in targets:
        lines += [f"  - name: {name}", f"    address: 127.0.0.1:{port}", *extra]
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)  # the exporter never reads a half-written file


# ---------------------------------------------------------------------------------------------
# The exporter: start, reload, figures

class Exporter:
    def __init__(self, procs, binary, config):
        self.procs, self.binary, self.config = procs, binary, config
        self.port = self.proc = None
        self.reloads = {"post": 0, "sighup": 0}

    def start(self, want_up):
        self.port, self.proc = bench.start_listening(
            self.procs, "exporter",
            lambda port: [self.binary, f"--config.file={self.config}",
                          f"--web.listen-address=127.0.0.1:{port}", "--log.level=info"],
            "/metrics",
            lambda text: measure.count_targets_up(measure.parse_prometheus_samples(text))
            >= want_up, 60)

    def check_alive(self):
        if self.proc.poll() is not None:
            raise SoakError(f"the exporter exited ({self.proc.returncode}):\n"
                            f"{self.procs.log_tail('exporter', 40)}")

    def samples(self):
        status, headers, body, _ = bench.http_get(self.port, "/metrics", timeout=SCRAPE_TIMEOUT)
        if status != 200:
            raise SoakError(f"/metrics answered {status}")
        return measure.parse_prometheus_samples(bench.metrics_text(headers, body))

    def reload(self, names):
        """POST /-/reload and SIGHUP in turn; then waits until /metrics shows exactly the
        targets of the new config and the reload succeeded. Returns an error text or None."""
        if (self.reloads["post"] + self.reloads["sighup"]) % 2 == 0:
            self.reloads["post"] += 1
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SCRAPE_TIMEOUT)
            try:
                conn.request("POST", "/-/reload")
                response = conn.getresponse()
                body = response.read().decode(errors="replace")
            finally:
                conn.close()
            if response.status != 200:
                return f"POST /-/reload answered {response.status}: {body.strip()}"
        else:
            self.reloads["sighup"] += 1
            os.kill(self.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            samples = self.samples()
            shown = {labels.get("target") for name, labels, _ in samples
                     if name == "redis_timeout_target_up"}
            ok = [v for name, _, v in samples
                  if name == "redis_timeout_config_last_reload_successful"]
            if shown == set(names) and ok == [1.0]:
                return None
            time.sleep(0.2)
        return "5 s after the reload /metrics still shows another target set or reload failure"

    def figures(self, fault_ports):
        """(rss bytes, threads, all fds, steady fds, fault connections) now."""
        pid = self.proc.pid
        status = bench.proc_status(pid)
        links = []
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except FileNotFoundError:
                pass  # closed meanwhile
        sockets = {}
        for table in ("tcp", "tcp6"):
            with open(f"/proc/{pid}/net/{table}") as f:
                sockets.update(parse_proc_net_tcp(f.read()))
        fds, steady, fault = classify_fds(links, sockets, fault_ports, self.port)
        return (measure.parse_proc_status_kib(status, "VmRSS") * 1024,
                measure.parse_proc_status_kib(status, "Threads"), fds, steady, fault)


# ---------------------------------------------------------------------------------------------
# Scrapers: /metrics plain, /metrics gzip and /triage, each on a thread of its own

class Scrapers:
    KINDS = (("/metrics", False), ("/metrics", True), ("/triage", False))

    def __init__(self, port):
        self.port = port
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.count = {kind: 0 for kind in self.KINDS}
        self.failures, self.slow = [], []
        self.slowest = 0.0
        self.threads = [threading.Thread(target=self._loop, args=(kind,), daemon=True)
                        for kind in self.KINDS]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join()

    def _scrape(self, path, gzip_ok):
        """None when the answer is right, else what was wrong; and the seconds it took."""
        start = time.monotonic()
        try:
            status, headers, body, _ = bench.http_get(self.port, path, gzip_ok,
                                                      timeout=SCRAPE_TIMEOUT)
            if status != 200:
                return f"status {status}", time.monotonic() - start
            if gzip_ok and not bench.gzipped(headers):
                return "no gzip", time.monotonic() - start
            text = bench.metrics_text(headers, body)
            if path == "/metrics" and "redis_timeout_target_up" not in text:
                return "no redis_timeout_target_up", time.monotonic() - start
            return None, time.monotonic() - start
        except (OSError, EOFError, http.client.HTTPException) as e:
            return f"{type(e).__name__}: {e}", time.monotonic() - start

    def _loop(self, kind):
        while not self.stop_event.wait(SCRAPE_EVERY):
            error, seconds = self._scrape(*kind)
            what = f"{kind[0]}{' gzip' if kind[1] else ''} at {time.strftime('%H:%M:%S')}"
            with self.lock:
                self.count[kind] += 1
                self.slowest = max(self.slowest, seconds)
                if error:
                    self.failures.append(f"{what}: {error}")
                elif seconds > SCRAPE_SLOW:
                    self.slow.append(f"{what}: {seconds:.2f} s")

    def summary(self):
        with self.lock:
            total = sum(self.count.values())
            parts = ", ".join(f"{path}{' gzip' if gz else ''} {n}"
                              for (path, gz), n in self.count.items())
            return total, parts, list(self.failures), list(self.slow), self.slowest


# ---------------------------------------------------------------------------------------------
# The run

class Soak:
    def __init__(self, args, procs):
        self.args, self.procs = args, procs
        self.servers = Servers(procs)
        self.config = os.path.join(procs.workdir, "soak.yaml")
        self.exporter = Exporter(procs, args.exporter, self.config)
        self.variant = 0
        self.reload_errors = []
        self.cycles = max(3, round(args.seconds / CYCLE_SECONDS))
        warmup = max(15.0, 0.2 * args.seconds)
        self.first_window = min(math.ceil(warmup / CYCLE_SECONDS), self.cycles - 2)
        self.reload_every = 3 if self.cycles >= 9 else 1  # a minute; each cycle in short runs
        self.windows = {}
        self.last_samples = []  # /metrics at the end of the last window

    def names(self):
        return [name for name, _, _ in targets_of(self.servers, self.variant)]

    def sleep_until(self, when):
        while True:
            self.exporter.check_alive()
            left = when - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.5, left))

    def reload(self):
        self.variant = 1 - self.variant
        write_config(self.config, targets_of(self.servers, self.variant))
        error = self.exporter.reload(self.names())
        if error:
            self.reload_errors.append(f"{time.strftime('%H:%M:%S')} {error}")

    def cycle_events(self, cycle):
        servers = self.servers
        events = [(0.0, servers.kill_flap), (0.0, servers.stop_hang), (0.0, servers.block),
                  (0.0, servers.flush_memory), (4.0, servers.restart_flap),
                  (4.0, servers.fill_memory), (10.0, servers.cont_hang)]
        if cycle % self.reload_every == self.reload_every - 1:
            events.append((2.0, self.reload))
        return sorted(events, key=lambda e: e[0])

    def sample_window(self, base, label):
        """Samples from WINDOW[0] to WINDOW[1] of the cycle: least RSS, threads, fds, steady
        fds; most fault connections; whether the healthy targets were all up at once."""
        self.sleep_until(base + WINDOW[0])
        fault_ports = self.servers.fault_ports()
        rows, healthy_all_up = [], False
        healthy = {n for n in self.names() if not n.startswith(FAULTS)}
        while time.monotonic() < base + WINDOW[1]:
            self.exporter.check_alive()
            rows.append(self.exporter.figures(fault_ports))
            if not healthy_all_up:
                up = {labels.get("target") for name, labels, v in self.exporter.samples()
                      if name == "redis_timeout_target_up" and v == 1}
                healthy_all_up = healthy <= up
            time.sleep(SAMPLE_EVERY)
        self.last_samples = self.exporter.samples()
        rss, threads, fds, steady, fault = zip(*rows)
        self.windows[label] = {"rss": min(rss), "threads": min(threads), "fds": min(fds),
                               "steady": min(steady), "fault_max": max(fault),
                               "samples": len(rows), "at": base + WINDOW[0] - self.t0,
                               "healthy_all_up": healthy_all_up}

    def run(self):
        log(f"starting {HEALTHY_SERVERS} healthy and {len(FAULTS)} fault redis-servers")
        self.servers.start()
        write_config(self.config, targets_of(self.servers, 0))
        all_targets = len(self.names())
        log(f"starting the exporter with {all_targets} targets")
        self.exporter.start(want_up=all_targets - TARGETS_PER_FAULT)  # the pool's may be refused
        scrapers = Scrapers(self.exporter.port)
        scrapers.start()
        self.t0 = time.monotonic()
        log(f"{self.cycles} cycles of {CYCLE_SECONDS} s; figures in cycles {self.first_window} "
            f"and {self.cycles - 1}; a reload every {self.reload_every} cycle(s)")
        try:
            for cycle in range(self.cycles):
                base = self.t0 + cycle * CYCLE_SECONDS
                for offset, action in self.cycle_events(cycle):
                    self.sleep_until(base + offset)
                    action()
                if cycle in (self.first_window, self.cycles - 1):
                    label = "start" if cycle == self.first_window else "end"
                    self.sample_window(base, label)
                    log(f"{label} figures: {self.windows[label]}")
                else:
                    self.sleep_until(base + CYCLE_SECONDS)
        finally:
            scrapers.stop()
        self.exporter.check_alive()
        return scrapers.summary()


def fault_signals(samples):
    """{fault server: text} of what /metrics showed for its targets: causes at warn or above
    (highest over its targets) and the fresh-connect refusals, summed."""
    risks, refusals = {}, {}
    for name, labels, value in samples:
        fault = labels.get("target", "").split("-")[0]
        if fault not in FAULTS:
            continue
        if name == "redis_timeout_risk" and value >= 0.5:
            key = (fault, labels.get("cause"))
            risks[key] = max(risks.get(key, 0.0), value)
        elif name == "redis_timeout_connect_refusals_total":
            refusals[fault] = refusals.get(fault, 0) + value
    shown = {}
    for fault in FAULTS:
        causes = [f"{cause} {v:g}" for (f, cause), v in sorted(risks.items()) if f == fault]
        shown[fault] = (f"risk {', '.join(causes) or 'below warn'}; "
                        f"{refusals.get(fault, 0):g} refused fresh connects")
    return shown


def report(soak, scrape_summary, elapsed):
    """Prints the figures; returns the list of reasons to fail (empty: passed)."""
    start, end = soak.windows["start"], soak.windows["end"]
    fault_targets = len(FAULTS) * TARGETS_PER_FAULT
    rows = growth_verdicts(start, end, fault_targets)
    failed = [f"{label}: {s} -> {e} ({g}; allowed {a})" for label, s, e, g, a, ok in rows
              if not ok]
    header = ("measure", f"start (t={start['at']:.0f} s)", f"end (t={end['at']:.0f} s)",
              "growth", "allowed", "verdict")
    table = [header] + [(label, s, e, g, a, "ok" if ok else "FAIL")
                        for label, s, e, g, a, ok in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    print(f"soak: {soak.cycles} cycles of {CYCLE_SECONDS} s ({elapsed:.0f} s of faults), "
          f"{len(soak.names())} targets on {HEALTHY_SERVERS + len(FAULTS)} redis-servers "
          f"({len(FAULTS)} under faults: {', '.join(FAULTS)}); least of "
          f"{start['samples']} and {end['samples']} samples per window (fault connections: most)")
    for i, r in enumerate(table):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")

    total, parts, failures, slow, slowest = scrape_summary
    slow_allowed = int(total * SLOW_TOLERATED)
    print(f"scrapes: {total} ({parts}); failed {len(failures)}; slower than {SCRAPE_SLOW:g} s "
          f"{len(slow)} (tolerated {slow_allowed}); slowest {slowest:.3f} s")
    for line in (failures + slow)[:10]:
        print(f"  {line}")
    if failures:
        failed.append(f"{len(failures)} scrapes failed")
    if len(slow) > slow_allowed:
        failed.append(f"{len(slow)} scrapes slower than {SCRAPE_SLOW:g} s")
    reloads = soak.exporter.reloads
    print(f"reloads: {reloads['post']} POST /-/reload, {reloads['sighup']} SIGHUP; "
          f"failed {len(soak.reload_errors)}")
    for line in soak.reload_errors[:5]:
        print(f"  {line}")
    if soak.reload_errors:
        failed.append(f"{len(soak.reload_errors)} reloads failed")
    c = soak.servers.counts
    print(f"faults: {c['flaps']} kills and restarts, {c['hangs']} SIGSTOP/SIGCONT, "
          f"{c['blocks']} DEBUG SLEEP 3, {c['fills']} memory fills ({c['oom_reached']} reached "
          f"OOM), {POOL_IDLE_CLIENTS} idle clients at maxclients {POOL_MAXCLIENTS} throughout")
    for fault, text in fault_signals(soak.last_samples).items():
        print(f"  /metrics at the end, targets of {fault}: {text}")
    print(f"healthy targets all up at least once in the last window: {end['healthy_all_up']}")
    if not end["healthy_all_up"]:
        failed.append("targets of healthy servers were not all up in the last window")
    failures_by_stage = measure.count_poll_failures(soak.procs.log_text("exporter"))
    print("exporter log, event=poll_failed lines by stage: " +
          (", ".join(f"{k} {v}" for k, v in sorted(failures_by_stage.items())) or "none"))
    return failed


def missing_tool(exporter):
    """What is missing to run the soak, or None."""
    if not shutil.which("redis-server"):
        return "redis-server is missing: run scripts/install-deps.sh bench"
    if not os.access(exporter, os.X_OK):
        return f"{exporter} is not an executable"
    return None


def prepare_process():
    """The fd limit raised to the hard one (100 targets need ~360 fds in the exporter; the
    children inherit it), and SIGTERM and SIGHUP (a closed terminal) turned into an exit that
    runs the clean-up."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda n, _: sys.exit(128 + n))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started ignoring it


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exporter", required=True, help="the redis-timeout-exporter binary")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("SOAK_SECONDS", 3600)),
                        help="length of the run (default $SOAK_SECONDS or 3600; at least 60)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, config)")
    args = parser.parse_args()
    args.seconds = max(60, args.seconds)
    args.exporter = os.path.abspath(args.exporter)
    missing = missing_tool(args.exporter)
    if missing:
        print(f"soak: {missing}", file=sys.stderr)
        return 2
    prepare_process()
    workdir = tempfile.mkdtemp(prefix="rte-soak-")
    procs = bench.Processes(workdir)
    soak = Soak(args, procs)
    keep = args.keep
    try:
        scrape_summary = soak.run()
        elapsed = time.monotonic() - soak.t0
        failed = report(soak, scrape_summary, elapsed)
    except (SoakError, bench.BenchError, OSError) as e:
        print(f"soak: {e}", file=sys.stderr)
        failed, keep = [str(e).splitlines()[0]], True
    except KeyboardInterrupt:
        failed = ["interrupted"]
    finally:
        soak.servers.stop_all()
        if keep:
            log(f"work dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        print("soak: FAILED: " + "; ".join(failed))
        return 1
    print("soak: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
