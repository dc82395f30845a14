#!/usr/bin/env python3
"""Checks of the alert rules, their unit tests, runbooks and the Alertmanager example that
promtool and amtool do not make. Usage: check_alerts.py CHECK --root=REPO (CHECK below)."""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

try:
    import yaml
except ImportError:
    sys.exit("check_alerts.py: the Python yaml module is missing (Debian: apt-get install python3-yaml)")

RULES = "deploy/prometheus/redis-timeout-rules.yml"
RULE_TESTS = "deploy/prometheus/tests/*.yml"
ALERTMANAGER = "deploy/alertmanager/alertmanager.yml"
RUNBOOKS = "docs/runbooks"
METRICS_DOC = "docs/metrics.md"
RUNBOOK_BASE = "https://github.com/redis-timeout-exporter/redis-timeout-exporter/blob/main/docs/runbooks/"

CAUSES = ["pool", "network", "memory", "slowlog", "backlog"]
HEALTH_CAUSES = ["exporter", "target", "cluster"]
SEVERITY_RECEIVER = {"critical": "pager", "warning": "chat"}
# Labels Prometheus adds to every scraped series.
SCRAPE_LABELS = {"job", "instance"}


class Failures:
    def __init__(self):
        self.messages = []

    def add(self, message):
        self.messages.append(message)

    def finish(self, what):
        for m in self.messages:
            print("FAIL: " + m)
        if self.messages:
            print(f"{what}: {len(self.messages)} problem(s)")
            return 1
        print(f"{what}: ok")
        return 0


def load_yaml(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return yaml.safe_load(f)


def rules(root):
    doc = load_yaml(root, RULES)
    return [r for g in doc["groups"] for r in g["rules"]]


def alerts(root):
    return [r for r in rules(root) if "alert" in r]


def rule_tests(root):
    """(file, test) pairs of every promtool unit test."""
    out = []
    for path in sorted(glob.glob(os.path.join(root, RULE_TESTS))):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for t in doc.get("tests", []):
            out.append((os.path.relpath(path, root), t))
    return out


def firing_label_sets(root):
    """alertname -> the label sets its unit tests expect when it fires."""
    out = {}
    for _, t in rule_tests(root):
        for case in t.get("alert_rule_test", []):
            for exp in case.get("exp_alerts") or []:
                labels = dict(exp.get("exp_labels") or {})
                labels["alertname"] = case["alertname"]
                out.setdefault(case["alertname"], []).append(labels)
    return out


# --- rules: names, labels, annotations ------------------------------------------------------
def check_rules(root):
    fail = Failures()
    seen = set()
    for r in alerts(root):
        name = r["alert"]
        if name in seen:
            fail.add(f"{name}: defined twice")
        seen.add(name)
        labels = r.get("labels", {})
        ann = r.get("annotations", {})
        sev, cause = labels.get("severity"), labels.get("cause")
        if sev not in SEVERITY_RECEIVER:
            fail.add(f"{name}: severity {sev!r} is not warning or critical")
        if cause not in CAUSES + HEALTH_CAUSES:
            fail.add(f"{name}: cause {cause!r} is not one of {CAUSES + HEALTH_CAUSES}")
        if cause in CAUSES and not name.startswith("RedisTimeoutRisk" + cause.capitalize()):
            fail.add(f"{name}: a {cause} alert must be named RedisTimeoutRisk{cause.capitalize()}...")
        if not name.startswith("RedisTimeout"):
            fail.add(f"{name}: every alert name starts with RedisTimeout")
        for key in ("summary", "description", "runbook_url"):
            if not ann.get(key):
                fail.add(f"{name}: annotation {key} missing")
        if ann.get("runbook_url") != RUNBOOK_BASE + name + ".md":
            fail.add(f"{name}: runbook_url is {ann.get('runbook_url')!r}, want {RUNBOOK_BASE + name + '.md'}")
        if not any(k in ann.get("description", "") for k in ("$value", "query", "$labels")):
            fail.add(f"{name}: the description quotes nothing ($value, a query or a label)")
    for cause in CAUSES:
        sevs = {r["labels"]["severity"] for r in alerts(root) if r["labels"].get("cause") == cause}
        for sev in SEVERITY_RECEIVER:
            if sev not in sevs:
                fail.add(f"cause {cause}: no {sev} alert")
    return fail.finish("rules")


# --- runbooks: one per alert, one alert per runbook ------------------------------------------
def check_runbooks(root):
    fail = Failures()
    names = {r["alert"] for r in alerts(root)}
    books = {os.path.basename(p)[:-3] for p in glob.glob(os.path.join(root, RUNBOOKS, "*.md"))}
    books.discard("README")
    for n in sorted(names - books):
        fail.add(f"{n}: no runbook {RUNBOOKS}/{n}.md")
    for b in sorted(books - names):
        fail.add(f"{RUNBOOKS}/{b}.md: no alert of that name in {RULES}")
    readme = os.path.join(root, RUNBOOKS, "README.md")
    index = open(readme, encoding="utf-8").read() if os.path.exists(readme) else ""
    if not index:
        fail.add(f"{RUNBOOKS}/README.md missing")
    for n in sorted(names & books):
        text = open(os.path.join(root, RUNBOOKS, n + ".md"), encoding="utf-8").read()
        if not text.startswith("# " + n):
            fail.add(f"{RUNBOOKS}/{n}.md: the first line is not '# {n}'")
        if "redis-timeout-exporter triage" not in text:
            fail.add(f"{RUNBOOKS}/{n}.md: no triage command")
        if "/triage" not in text.replace("redis-timeout-exporter triage", ""):
            fail.add(f"{RUNBOOKS}/{n}.md: does not point at the /triage page")
        if f"({n}.md)" not in index:
            fail.add(f"{RUNBOOKS}/README.md: does not link {n}.md")
    return fail.finish("runbooks")


# --- unit tests: a firing and a silent case for every alert ---------------------------------
def check_coverage(root):
    fail = Failures()
    fires, silent = {}, set()
    for path, t in rule_tests(root):
        for case in t.get("alert_rule_test", []):
            name = case["alertname"]
            exps = case.get("exp_alerts") or []
            if not exps:
                silent.add(name)
            for exp in exps:
                labels = exp.get("exp_labels") or {}
                ann = exp.get("exp_annotations") or {}
                complete = all(k in labels for k in ("severity", "cause")) and all(
                    k in ann for k in ("summary", "description", "runbook_url"))
                fires[name] = fires.get(name, False) or complete
    for r in alerts(root):
        n = r["alert"]
        if n not in fires:
            fail.add(f"{n}: no unit test case in which it fires")
        elif not fires[n]:
            fail.add(f"{n}: no firing case asserts severity, cause, summary, description and runbook_url")
        if n not in silent:
            fail.add(f"{n}: no unit test case in which it must stay silent")
    known = {r["alert"] for r in alerts(root)}
    for n in sorted((set(fires) | silent) - known):
        fail.add(f"the unit tests name {n}, which is not an alert in {RULES}")
    return fail.finish("coverage")


# --- metric names: only families of docs/metrics.md ----------------------------------------
def documented_families(root):
    """family -> (type, set of label names) from the tables of docs/metrics.md."""
    fams = {}
    for line in open(os.path.join(root, METRICS_DOC), encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"`redis_timeout_\w+`", cells[0]):
            labels = set(re.findall(r"`(\w+)`", cells[3]))
            fams[cells[0].strip("`")] = (cells[1], labels)
    return fams


def check_metrics(root):
    fail = Failures()
    fams = documented_families(root)
    if len(fams) < 20:
        fail.add(f"{METRICS_DOC}: found only {len(fams)} metric families; has the table format changed?")
    names = set()
    for fam, (typ, _) in fams.items():
        names.add(fam)
        if typ == "histogram":
            names.update(fam + s for s in ("_bucket", "_sum", "_count"))

    def labels_of(name):
        base = re.sub(r"_(bucket|sum|count)$", "", name) if name not in fams else name
        labs = set(fams.get(base, ("", set()))[1]) | SCRAPE_LABELS
        if name.endswith("_bucket"):
            labs.add("le")
        return labs

    def check_text(where, text):
        for m in re.finditer(r"(?<![\w:])(redis_timeout_\w+)(\{[^}]*\})?", text):
            name, sel = m.group(1), m.group(2) or ""
            if name not in names:
                fail.add(f"{where}: {name} is not a metric family of {METRICS_DOC}")
                continue
            for lab in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", sel):
                if lab not in labels_of(name):
                    fail.add(f"{where}: {name} has no label {lab!r} in {METRICS_DOC}")
        for m in re.finditer(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", text):
            for lab in re.findall(r"\w+", m.group(1)):
                if lab not in {l for f in fams.values() for l in f[1]} | SCRAPE_LABELS | {"le"}:
                    fail.add(f"{where}: grouping label {lab!r} is no label of any family")

    for r in rules(root):
        where = r.get("alert") or r.get("record")
        check_text(where + " expr", r["expr"])
        for k, v in (r.get("annotations") or {}).items():
            check_text(f"{where} annotation {k}", v)
    for path, t in rule_tests(root):
        for s in t.get("input_series", []):
            series = s["series"]
            if not series.startswith("up{"):
                check_text(f"{path} ({t.get('name')}) input series", series)
    return fail.finish("metrics")


# --- Alertmanager: inhibition, simulated on the alerts' own label sets -----------------------
def parse_matcher(text):
    m = re.fullmatch(r'\s*(\w+)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*', text)
    if not m:
        raise ValueError(f"cannot parse matcher {text!r}")
    name, op, value = m.groups()

    def match(labels):
        v = labels.get(name, "")
        if op == "=":
            return v == value
        if op == "!=":
            return v != value
        hit = re.fullmatch(value, v) is not None
        return hit if op == "=~" else not hit
    return match


def inhibits(rule, source, target):
    src = [parse_matcher(m) for m in rule.get("source_matchers", [])]
    tgt = [parse_matcher(m) for m in rule.get("target_matchers", [])]
    return (all(m(source) for m in src) and all(m(target) for m in tgt)
            and all(source.get(l, "") == target.get(l, "") for l in rule.get("equal", [])))


def instances(root):
    """Each alert once per label set its unit tests expect, and again for a second target."""
    out = []
    for name, sets in sorted(firing_label_sets(root).items()):
        seen = set()
        for labels in sets:
            key = tuple(sorted(labels.items()))
            if key in seen:
                continue
            seen.add(key)
            out.append(labels)
            if "target" in labels:
                out.append(dict(labels, target=labels["target"] + "-other"))
            if "cluster" in labels:
                out.append(dict(labels, cluster=labels["cluster"] + "-other"))
    return out


def check_inhibition(root):
    fail = Failures()
    am = load_yaml(root, ALERTMANAGER)
    irules = am.get("inhibit_rules", [])
    for r in irules:
        for k in ("source_match", "target_match", "source_match_re", "target_match_re"):
            if k in r:
                fail.add(f"inhibit rule {r}: uses the deprecated {k}; use source_matchers/target_matchers")

    # The rule the issue asks for, literally.
    unreach = [r for r in irules if any('RedisTimeoutTargetUnreachable' in m for m in r.get("source_matchers", []))]
    if not unreach:
        fail.add("no inhibit rule has RedisTimeoutTargetUnreachable as its source")
    for r in unreach:
        if r.get("equal") != ["target"]:
            fail.add(f"the TargetUnreachable inhibit rule has equal {r.get('equal')}, want [target]")

    alerts_by_name = {r["alert"]: r for r in alerts(root)}
    insts = instances(root)
    missing = set(alerts_by_name) - {a["alertname"] for a in insts}
    for n in sorted(missing):
        fail.add(f"{n}: no firing unit test to take its labels from")

    def expected(s, t):
        if s is t:
            return False
        # A cluster's critical (RedisTimeoutClusterDown) silences the warnings of the same cluster
        # and cause (failover in progress), never another cluster's.
        if "target" not in s and "cluster" in s:
            return ("target" not in t and s.get("cluster") == t.get("cluster")
                    and s["cause"] == t["cause"]
                    and s["severity"] == "critical" and t["severity"] == "warning")
        if s.get("target") != t.get("target") or "target" not in s:
            return False
        sc, tc = s["cause"], t["cause"]
        # A critical silences the same target's warnings of its own cause (for cause `target`,
        # Unreachable and NotServing: the certificate expiry warning).
        if sc == tc and s["severity"] == "critical" and t["severity"] == "warning":
            return True
        # A target that cannot be polled has no judged cause: all five causes' alerts go quiet.
        if s["alertname"] == "RedisTimeoutTargetUnreachable":
            return tc in CAUSES
        # An alert of what is happening silences the risk-level critical of its cause.
        return (sc in CAUSES and sc == tc and s["severity"] == t["severity"] == "critical"
                and not s["alertname"].endswith("Critical")
                and t["alertname"] == f"RedisTimeoutRisk{tc.capitalize()}Critical")

    for s in insts:
        for t in insts:
            if s is t:
                continue
            got = any(inhibits(r, s, t) for r in irules)
            want = expected(s, t)
            if got != want:
                fail.add(f"{s['alertname']}{{target={s.get('target', '')}}} "
                         f"{'inhibits' if got else 'does not inhibit'} "
                         f"{t['alertname']}{{target={t.get('target', '')}}}; want {'yes' if want else 'no'}")
    # Whatever else: the unreachable page is never silenced, and the "happening now" pages only
    # by it (their expressions make that overlap empty: see the rules' comments).
    for t in insts:
        happening = t["severity"] == "critical" and t["cause"] in CAUSES and not t["alertname"].endswith("Critical")
        if t["alertname"] == "RedisTimeoutTargetUnreachable" or happening:
            for s in insts:
                if s is t or s["alertname"] == "RedisTimeoutTargetUnreachable" and happening:
                    continue
                if any(inhibits(r, s, t) for r in irules):
                    fail.add(f"{s['alertname']} inhibits {t['alertname']}, which must always page")
    if not any(t["alertname"] == "RedisTimeoutTargetUnreachable" for t in insts):
        fail.add("RedisTimeoutTargetUnreachable has no firing unit test")
    return fail.finish("inhibition")


# --- Alertmanager: routing by severity, through amtool --------------------------------------
def check_routes(root):
    fail = Failures()
    amtool = shutil.which("amtool")
    if not amtool:
        print("FAIL: amtool not found on PATH (Debian: apt-get install prometheus-alertmanager)")
        return 1
    am = load_yaml(root, ALERTMANAGER)
    receivers = {r["name"]: r for r in am.get("receivers", [])}
    for sev, name in SEVERITY_RECEIVER.items():
        hooks = receivers.get(name, {}).get("webhook_configs", [])
        if not hooks:
            fail.add(f"receiver {name} (for {sev}) is missing or has no webhook_configs")
        for h in hooks:
            if not h.get("url", "").startswith("http://127.0.0.1:"):
                fail.add(f"receiver {name}: webhook {h.get('url')} is not a placeholder on 127.0.0.1")
    group_by = am["route"].get("group_by")
    for r in am["route"].get("routes", []):
        if any("RedisTimeout" in m for m in r.get("matchers", [])):
            group_by = r.get("group_by", group_by)
    # One group per alert and Redis target, cluster (ClusterDown, failover, Sentinel) or
    # discovery: each of them carries at most one of the three.
    if sorted(group_by or []) != ["alertname", "cluster", "discovery", "target"]:
        fail.add(f"the RedisTimeout alerts are grouped by {group_by}, "
                 "want [alertname, target, cluster, discovery]")

    cases = []
    for name, sets in sorted(firing_label_sets(root).items()):
        labels = sets[0]
        cases.append((labels, SEVERITY_RECEIVER.get(labels.get("severity"), "?")))
    # Something that is not ours falls through to the root receiver.
    cases.append(({"alertname": "SomeOtherAlert", "severity": "critical"}, am["route"]["receiver"]))
    config = os.path.join(root, ALERTMANAGER)
    for labels, want in cases:
        args = [amtool, "config", "routes", "test", "--config.file=" + config,
                "--verify.receivers=" + want] + [f"{k}={v}" for k, v in sorted(labels.items())]
        res = subprocess.run(args, capture_output=True, text=True)
        got = res.stdout.strip()
        print(f"amtool config routes test {' '.join(args[5:])} -> {got}")
        if res.returncode != 0:
            fail.add(f"{labels['alertname']} ({labels.get('severity')}) routes to {got!r}, want {want!r}")
    return fail.finish("routes")


CHECKS = {
    "rules": check_rules,
    "runbooks": check_runbooks,
    "coverage": check_coverage,
    "metrics": check_metrics,
    "inhibition": check_inhibition,
    "routes": check_routes,
}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("check", choices=sorted(CHECKS) + ["all"])
    p.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    a = p.parse_args()
    names = sorted(CHECKS) if a.check == "all" else [a.check]
    return max(CHECKS[n](os.path.abspath(a.root)) for n in names)


if __name__ == "__main__":
    sys.exit(main())
