"""Pure parsers for what the bench reads: /proc/PID files, INFO commandstats, Prometheus text,
wrk's report. No I/O here: bench.py reads, these functions turn text into numbers."""

import re


def parse_proc_stat_cpu_ticks(text):
    """utime + stime (clock ticks) from /proc/PID/stat. The command name (field 2) may hold
    spaces and parentheses, so fields are counted from the last ')'."""
    fields = text[text.rindex(")") + 2:].split()
    # After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
    return int(fields[11]) + int(fields[12])


def parse_proc_status_kib(text, key):
    """A `Key:   1234 kB` line of /proc/PID/status, in KiB; None when absent."""
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def parse_commandstats(text):
    """INFO commandstats -> {command: (calls, usec)}. Redis 7 names subcommands `slowlog|get`."""
    stats = {}
    for line in text.splitlines():
        if not line.startswith("cmdstat_"):
            continue
        name, _, rest = line[len("cmdstat_"):].partition(":")
        fields = dict(kv.split("=", 1) for kv in rest.strip().split(",") if "=" in kv)
        stats[name] = (int(fields.get("calls", 0)), int(fields.get("usec", 0)))
    return stats


def commandstats_delta(before, after):
    """Per command (calls, usec) added between two parse_commandstats() readings."""
    delta = {}
    for name, (calls, usec) in after.items():
        calls0, usec0 = before.get(name, (0, 0))
        if calls != calls0 or usec != usec0:
            delta[name] = (calls - calls0, usec - usec0)
    return delta


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus_samples(text):
    """Prometheus text exposition -> [(name, {label: value}, float)]; comments skipped."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            continue
        labels = dict(_LABEL.findall(m.group(2) or ""))
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        samples.append((m.group(1), labels, value))
    return samples


def probe_median_seconds(samples):
    """Our PING probe's window median: the sample with quantile="0.5" of the
    redis_timeout_ping_rtt_window_seconds family (a gauge or a summary, whichever shape the
    exposition has). None when the family or the quantile is absent."""
    for name, labels, value in samples:
        if name == "redis_timeout_ping_rtt_window_seconds" and labels.get("quantile") == "0.5":
            return value
    return None


def count_targets_up(samples):
    return sum(1 for name, _, value in samples if name == "redis_timeout_target_up" and value == 1)


def count_poll_failures(log_text):
    """{stage: count} of the daemon's `event=poll_failed ... stage=X` log lines."""
    counts = {}
    for line in log_text.splitlines():
        if "event=poll_failed" in line:
            m = re.search(r"\bstage=(\S+)", line)
            stage = m.group(1) if m else "unknown"
            counts[stage] = counts.get(stage, 0) + 1
    return counts


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def parse_wrk(text):
    """wrk's report -> {requests_per_second, requests, latency_avg_seconds, errors, non_2xx}."""
    result = {"errors": 0, "non_2xx": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not m:
        raise ValueError("wrk printed no Requests/sec line:\n" + text)
    result["requests_per_second"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", text)
    result["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Latency\s+([\d.]+)(us|ms|s|m)\b", text)
    result["latency_avg_seconds"] = float(m.group(1)) * _UNITS[m.group(2)] if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        result["errors"] = sum(int(g) for g in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        result["non_2xx"] = int(m.group(1))
    return result


def median(values):
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
