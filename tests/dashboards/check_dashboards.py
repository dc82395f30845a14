#!/usr/bin/env python3
"""Lints the Grafana dashboards against the rules of issue 5 (python3 standard library only).

Usage:
  python3 tests/dashboards/check_dashboards.py [--repo DIR] [--no-promtool] [DASHBOARD.json ...]
  python3 tests/dashboards/check_dashboards.py [--repo DIR] --self-test

Without files it checks every dashboards/*.json of the repository. Exit 0 when every rule holds,
1 with one line per violation otherwise. --self-test feeds broken copies of the real dashboards
(an Angular `graph` panel, a hard-coded `[1m]`, an unknown metric, …) and fails unless each one is
rejected for the right reason and the unbroken copy is accepted. PromQL syntax is checked with
`promtool check rules` when promtool is on PATH (the `prometheus` Debian package).
"""
import argparse
import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import panel_queries  # noqa: E402  (same folder: walking panels, substituting variables)

DEFAULT_REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

MIN_SCHEMA_VERSION = 39
ALLOWED_PANEL_TYPES = {"timeseries", "stat", "table", "heatmap", "state-timeline", "bargauge",
                       "gauge", "text", "row"}
NO_QUERY_PANEL_TYPES = {"row", "text"}
DATASOURCE_REF = {"type": "prometheus", "uid": "${datasource}"}
TARGET_VARIABLE_QUERY = "label_values(redis_timeout_target_up, target)"
TARGET_MATCHER_RE = re.compile(r'target\s*=~\s*"\$(\{target\}|target)"')
RANGE_VARIABLES = {"$__rate_interval", "${__rate_interval}", "$__interval", "${__interval}",
                   "$__range", "${__range}"}
RATE_FUNCTIONS_RE = re.compile(r"\b(rate|irate|increase)\s*\(")
METRIC_RE = re.compile(r"\bredis_timeout_[a-z_]+")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
WARN, CRIT = 0.5, 0.8
RISK_PANEL_TYPES = {"timeseries", "state-timeline", "bargauge", "gauge", "table"}


# ---------------------------------------------------------------------------------------------
# docs/metrics.md
# ---------------------------------------------------------------------------------------------
def load_metric_families(path):
    """{name: {"type": ..., "labels": set()}} from the tables of docs/metrics.md."""
    families = {}
    row = re.compile(r"^\|\s*`(redis_timeout_[a-z_]+)`\s*\|\s*([a-z]+)\s*\|[^|]*\|([^|]*)\|")
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = row.match(line)
            if m:
                labels = set(re.findall(r"`([a-z_]+)`", m.group(3)))
                families[m.group(1)] = {"type": m.group(2), "labels": labels}
    return families


def resolve_metric(token, families):
    """(family name, series kind) for a series name, or (None, None) when it is not documented.
    kind is "counter", "gauge", "histogram_part" (…_bucket/_sum/_count) or "histogram" (the bare
    family name, which has no series)."""
    if token in families:
        kind = families[token]["type"]
        return token, ("histogram" if kind == "histogram" else kind)
    for suffix in HISTOGRAM_SUFFIXES:
        base = token[: -len(suffix)]
        if token.endswith(suffix) and families.get(base, {}).get("type") == "histogram":
            return base, "histogram_part"
    return None, None


# ---------------------------------------------------------------------------------------------
# PromQL scanning (no parser in the standard library: strings blanked, brackets matched)
# ---------------------------------------------------------------------------------------------
def blank_strings(expr):
    """expr with the inside of every quoted string replaced by spaces (same length), or raises
    ValueError on an unterminated string."""
    out = list(expr)
    i = 0
    while i < len(expr):
        c = expr[i]
        if c in "\"'`":
            j = i + 1
            while j < len(expr) and expr[j] != c:
                if expr[j] == "\\" and c != "`":
                    out[j] = " "
                    j += 1
                out[j] = " "
                j += 1
            if j >= len(expr):
                raise ValueError("unterminated string")
            i = j + 1
        else:
            i += 1
    return "".join(out)


def check_brackets(code):
    stack = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for i, c in enumerate(code):
        if c in "([{":
            stack.append((c, i))
        elif c in ")]}":
            if not stack or stack[-1][0] != pairs[c]:
                return f"unbalanced '{c}' at offset {i}"
            stack.pop()
    if stack:
        return f"unclosed '{stack[-1][0]}' at offset {stack[-1][1]}"
    return None


def matching_close(code, open_at):
    depth = 0
    for i in range(open_at, len(code)):
        if code[i] in "([{":
            depth += 1
        elif code[i] in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return len(code)


def query_errors(expr, families):
    """Every rule a single PromQL expression breaks; also returns the metric families it uses."""
    errors, used = [], set()
    if not expr.strip():
        return ["empty expr"], used
    try:
        code = blank_strings(expr)
    except ValueError as e:
        return [str(e)], used
    bad = check_brackets(code)
    if bad:
        errors.append(bad)
        return errors, used

    for m in re.finditer(r"\[([^\]]*)\]", code):
        parts = [p.strip() for p in m.group(1).split(":")]
        for part in parts:
            if part and part not in RANGE_VARIABLES:
                errors.append(f"hard-coded range [{m.group(1)}]: use [$__rate_interval]")

    for m in RATE_FUNCTIONS_RE.finditer(code):
        close = matching_close(code, m.end() - 1)
        inner = code[m.end():close]
        ranges = re.findall(r"\[([^\]]*)\]", inner)
        if not ranges or any(r.strip() not in ("$__rate_interval", "${__rate_interval}")
                             for r in ranges):
            errors.append(f"{m.group(1)}() must use [$__rate_interval], has "
                          f"{['[' + r + ']' for r in ranges] or 'no range'}")
        for token in METRIC_RE.findall(inner):
            family, kind = resolve_metric(token, families)
            if family and kind not in ("counter", "histogram_part"):
                errors.append(f"{m.group(1)}() over {token}, a {kind}: only counters and "
                              "histogram _bucket/_sum/_count series")

    for m in METRIC_RE.finditer(code):
        token = m.group(0)
        family, kind = resolve_metric(token, families)
        if family is None:
            errors.append(f"metric {token} is not in docs/metrics.md")
            continue
        if kind == "histogram":
            errors.append(f"{token} is a histogram: query {token}_bucket, _sum or _count")
        used.add(family)
        if "target" in families[family]["labels"]:
            rest = expr[m.end():]
            stripped = rest.lstrip()
            selector = ""
            if stripped.startswith("{"):
                at = m.end() + (len(rest) - len(stripped))
                selector = expr[at:matching_close(code, at) + 1]
            if not TARGET_MATCHER_RE.search(selector):
                errors.append(f'{token} is selected without target=~"$target"')

    unknown = panel_queries.substitute(expr, panel_queries.variable_values())[1]
    for name in sorted(set(unknown)):
        errors.append(f"unknown variable ${name}")
    return errors, used


# ---------------------------------------------------------------------------------------------
# One dashboard
# ---------------------------------------------------------------------------------------------
class Report:
    def __init__(self):
        self.errors = []
        self.facts = []
        self.queries = []  # (where, expr) of every query, for promtool

    def error(self, where, message):
        self.errors.append(f"{where}: {message}")


def check_variables(doc, where, report, families):
    variables = {v.get("name"): v for v in doc.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds:
        report.error(where, "no `datasource` template variable")
    elif ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        report.error(where, "variable `datasource` must be type datasource with query prometheus")
    tv = variables.get("target")
    if not tv:
        report.error(where, "no `target` template variable")
    else:
        query = tv.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        if tv.get("type") != "query" or (query or "").strip() != TARGET_VARIABLE_QUERY:
            report.error(where, f"variable `target` must be a query variable with "
                                f"`{TARGET_VARIABLE_QUERY}`")
        if not tv.get("multi") or not tv.get("includeAll"):
            report.error(where, "variable `target` must be multi-value with include-all")
    for name, v in variables.items():
        if v.get("type") != "query":
            continue
        if v.get("datasource") != DATASOURCE_REF:
            report.error(where, f"variable `{name}` must use datasource {json.dumps(DATASOURCE_REF)}")
        query = v.get("query")
        query = query.get("query") if isinstance(query, dict) else (query or "")
        for token in METRIC_RE.findall(query):
            if resolve_metric(token, families)[0] is None:
                report.error(where, f"variable `{name}`: metric {token} is not in docs/metrics.md")
    report.facts.append(f"variables: {', '.join(variables)}")
    return variables


def check_thresholds_for_risk(panel, where, report):
    """Panels that plot redis_timeout_risk carry warn 0.5 / critical 0.8; time series draw them."""
    ptype = panel.get("type")
    exprs = " ".join(t.get("expr", "") for t in panel.get("targets", []))
    if ptype not in RISK_PANEL_TYPES or not re.search(r"\bredis_timeout_risk\b(?!_)", exprs):
        return False
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    values = {s.get("value") for s in defaults.get("thresholds", {}).get("steps", [])}
    if WARN not in values or CRIT not in values:
        report.error(where, f"risk panel needs thresholds at {WARN} (warn) and {CRIT} "
                            f"(critical), has {sorted(v for v in values if v is not None)}")
    if ptype == "timeseries":
        mode = defaults.get("custom", {}).get("thresholdsStyle", {}).get("mode", "off")
        if "line" not in mode and "dashed" not in mode:
            report.error(where, f"risk time series must draw thresholds as lines "
                                f"(thresholdsStyle.mode is {mode!r})")
    return True


def check_layout(panels, where, report):
    cells = {}
    for p in panels:
        g = p.get("gridPos")
        name = f"{where} panel {p.get('id')} \"{p.get('title')}\""
        if not isinstance(g, dict) or not all(isinstance(g.get(k), int) for k in "hwxy"):
            report.error(name, "gridPos with integer h, w, x, y is required")
            continue
        if g["x"] < 0 or g["y"] < 0 or g["w"] <= 0 or g["h"] <= 0 or g["x"] + g["w"] > 24:
            report.error(name, f"gridPos {g} is outside the 24-column grid")
            continue
        if p.get("type") == "row" and p.get("collapsed"):
            continue  # a collapsed row's panels are laid out when it opens
        for y in range(g["y"], g["y"] + g["h"]):
            for x in range(g["x"], g["x"] + g["w"]):
                other = cells.setdefault((x, y), p.get("id"))
                if other != p.get("id"):
                    report.error(name, f"overlaps panel {other} at x={x} y={y}")
                    break
            else:
                continue
            break


def check_dashboard(doc, raw_text, filename, families, all_uids, docs_text):
    """Every rule for one parsed dashboard. Returns a Report."""
    report = Report()
    where = filename
    if "__inputs" in doc or "${DS_" in raw_text or "$DS_" in raw_text:
        report.error(where, "uses __inputs / ${DS_…}: an import-only datasource placeholder that "
                            "breaks file provisioning; use the `datasource` variable")
    if not isinstance(doc.get("schemaVersion"), int) or doc["schemaVersion"] < MIN_SCHEMA_VERSION:
        report.error(where, f"schemaVersion {doc.get('schemaVersion')!r} < {MIN_SCHEMA_VERSION}")
    if "id" not in doc or doc["id"] is not None:
        report.error(where, "top-level `id` must be null (Grafana assigns it)")
    uid = doc.get("uid")
    stem = os.path.splitext(os.path.basename(filename))[0]
    if not isinstance(uid, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", uid):
        report.error(where, f"uid {uid!r} must be a stable lowercase slug (≤ 40 characters)")
    elif uid != stem:
        report.error(where, f"uid {uid!r} must equal the file name {stem!r}")
    if not doc.get("title"):
        report.error(where, "no title")

    link_urls = " ".join(str(l.get("url", "")) for l in doc.get("links", []))
    for other in sorted(all_uids - {uid}):
        if f"/d/{other}" not in link_urls:
            report.error(where, f"no dashboard link to /d/{other}")

    families_used = set()
    check_variables(doc, where, report, families)

    panels = list(panel_queries.iter_panels(doc))
    ids = [p.get("id") for p in panels]
    for pid in sorted({i for i in ids if ids.count(i) > 1}, key=str):
        report.error(where, f"panel id {pid} is used {ids.count(pid)} times")
    titles = [p.get("title") for p in panels if p.get("type") != "row"]
    for t in sorted({t for t in titles if titles.count(t) > 1}):
        report.error(where, f"panel title {t!r} is used more than once")
    check_layout(panels, where, report)

    queries = risk_panels = 0
    for p in panels:
        name = f"{where} panel {p.get('id')} \"{p.get('title')}\""
        ptype = p.get("type")
        if not isinstance(p.get("id"), int):
            report.error(name, "panel id must be an integer")
        if ptype not in ALLOWED_PANEL_TYPES:
            report.error(name, f"panel type {ptype!r} is not allowed (Angular or unknown); use "
                               f"one of {', '.join(sorted(ALLOWED_PANEL_TYPES))}")
        if ptype == "row":
            continue
        if not (p.get("description") or "").strip():
            report.error(name, "no description")
        if not (p.get("fieldConfig", {}).get("defaults", {}).get("unit") or "").strip():
            report.error(name, "no unit (fieldConfig.defaults.unit)")
        if docs_text is not None and p.get("title") and f"**{p['title']}**" not in docs_text:
            report.error(name, "not described in docs/dashboards.md (as **title**)")
        if ptype in NO_QUERY_PANEL_TYPES:
            continue
        if p.get("datasource") != DATASOURCE_REF:
            report.error(name, f"panel datasource must be {json.dumps(DATASOURCE_REF)}, is "
                               f"{json.dumps(p.get('datasource'))}")
        targets = p.get("targets") or []
        if not targets:
            report.error(name, "no queries")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs) or not all(refs):
            report.error(name, f"refIds must be present and unique, are {refs}")
        for t in targets:
            tname = f"{name} {t.get('refId')}"
            queries += 1
            if t.get("datasource") != DATASOURCE_REF:
                report.error(tname, f"query datasource must be {json.dumps(DATASOURCE_REF)}, is "
                                    f"{json.dumps(t.get('datasource'))}")
            errors, used = query_errors(t.get("expr", ""), families)
            families_used |= used
            for e in errors:
                report.error(tname, e)
        if check_thresholds_for_risk(p, name, report):
            risk_panels += 1

    report.facts.append(f"{len(panels)} panels ({sum(1 for p in panels if p.get('type') == 'row')} "
                        f"rows), {queries} queries, {risk_panels} risk panels with warn/critical "
                        f"thresholds")
    report.facts.append(f"{len(families_used)} metric families used, all in docs/metrics.md")
    report.queries = [(f"{where} panel {p.get('id')} {t.get('refId')}", t.get("expr", ""))
                      for p, t in panel_queries.iter_queries(doc)]
    return report


# ---------------------------------------------------------------------------------------------
# Repository-level checks
# ---------------------------------------------------------------------------------------------
def promtool_errors(named_exprs):
    """Runs `promtool check rules` on the substituted queries as recording rules (JSON is YAML).
    Returns (ran, errors)."""
    promtool = shutil.which("promtool")
    if not promtool:
        return False, []
    values = panel_queries.variable_values(targets=["example-1"], rate_interval="1m",
                                           interval="15s")
    rules = []
    for i, (_, expr) in enumerate(named_exprs):
        rules.append({"record": f"dashboard_query_{i}",
                      "expr": panel_queries.substitute(expr, values)[0]})
    with tempfile.TemporaryDirectory(prefix="check-dashboards-") as tmp:
        path = os.path.join(tmp, "queries.yml")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"groups": [{"name": "dashboard_queries", "rules": rules}]}, f)
        run = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
    if run.returncode == 0:
        return True, []
    out = run.stdout + run.stderr
    errors = []
    for line in out.splitlines():
        m = re.search(r"group \"dashboard_queries\", rule (\d+)", line)
        if m and int(m.group(1)) - 1 < len(named_exprs):
            name, expr = named_exprs[int(m.group(1)) - 1]
            errors.append(f"{name}: promtool: {line.strip()} (expr: {expr})")
    return True, errors or [f"promtool check rules failed: {out.strip()}"]


def provisioning_errors(repo):
    errors = []
    base = os.path.join(repo, "deploy", "grafana", "provisioning")
    ds_files = glob.glob(os.path.join(base, "datasources", "*.yml"))
    db_files = glob.glob(os.path.join(base, "dashboards", "*.yml"))
    if not ds_files:
        errors.append(f"{base}/datasources: no *.yml datasource provisioning file")
    if not any(re.search(r"^\s*type:\s*prometheus\s*$", open(f, encoding="utf-8").read(), re.M)
               for f in ds_files):
        errors.append(f"{base}/datasources: no datasource of `type: prometheus`")
    if not db_files:
        errors.append(f"{base}/dashboards: no *.yml dashboard provider file")
    for f in db_files:
        text = open(f, encoding="utf-8").read()
        if not re.search(r"^\s*type:\s*file\s*$", text, re.M) or not re.search(r"^\s*path:", text, re.M):
            errors.append(f"{f}: a dashboard provider needs `type: file` and `options.path`")
    return errors


def check_files(repo, files, use_promtool=True, quiet=False):
    """Every rule over the given dashboard files. Returns the list of violations."""
    families = load_metric_families(os.path.join(repo, "docs", "metrics.md"))
    docs_path = os.path.join(repo, "docs", "dashboards.md")
    docs_text = open(docs_path, encoding="utf-8").read() if os.path.exists(docs_path) else None
    say = (lambda *a: None) if quiet else print
    say(f"docs/metrics.md: {len(families)} metric families")
    errors = []
    if docs_text is None:
        errors.append(f"{docs_path}: missing (each panel must be described there)")
    if not files:
        errors.append(f"{repo}/dashboards: no dashboard files")
    loaded = []
    for path in files:
        name = os.path.relpath(path, repo)
        try:
            raw = open(path, encoding="utf-8").read()
            loaded.append((name, json.loads(raw), raw))
        except (OSError, ValueError) as e:
            errors.append(f"{name}: not valid JSON: {e}")
    uids = {doc.get("uid") for _, doc, _ in loaded if isinstance(doc, dict)}
    named_exprs = []
    for name, doc, raw in loaded:
        if not isinstance(doc, dict):
            errors.append(f"{name}: the top level must be a JSON object")
            continue
        report = check_dashboard(doc, raw, name, families, uids, docs_text)
        errors += report.errors
        named_exprs += report.queries
        say(f"{name}: uid {doc.get('uid')}, schemaVersion {doc.get('schemaVersion')}; "
            + "; ".join(report.facts) + ("" if report.errors else " -- OK"))
    if use_promtool:
        ran, perrors = promtool_errors(named_exprs)
        errors += perrors
        say(f"promtool check rules: {len(named_exprs)} queries"
            + ((" -- OK" if not perrors else " -- FAILED") if ran
               else " skipped (no promtool on PATH: install the `prometheus` package)"))
    perrors = provisioning_errors(repo)
    errors += perrors
    say("deploy/grafana/provisioning: " + ("OK" if not perrors else "FAILED"))
    return errors


# ---------------------------------------------------------------------------------------------
# Self-test: each broken dashboard must be rejected for its reason
# ---------------------------------------------------------------------------------------------
def first_query_panel(doc):
    return next(p for p in panel_queries.iter_panels(doc) if p.get("targets"))


def risk_timeseries(doc):
    return next(p for p in panel_queries.iter_panels(doc)
                if p.get("type") == "timeseries" and "redis_timeout_risk{" in
                p["targets"][0].get("expr", ""))


def mutate_expr(doc, fn):
    t = first_query_panel(doc)["targets"][0]
    t["expr"] = fn(t["expr"])


MUTATIONS = [
    ("Angular graph panel", "panel type 'graph' is not allowed",
     lambda d: first_query_panel(d).update(type="graph")),
    ("singlestat panel", "panel type 'singlestat' is not allowed",
     lambda d: first_query_panel(d).update(type="singlestat")),
    ("hard-coded [1m]", "hard-coded range [1m]",
     lambda d: mutate_expr(d, lambda e: "rate(redis_timeout_poll_errors_total{target=~\"$target\"}[1m])")),
    ("unknown metric", "metric redis_timeout_made_up_total is not in docs/metrics.md",
     lambda d: mutate_expr(d, lambda e: "redis_timeout_made_up_total{target=~\"$target\"}")),
    ("rate() over a gauge", "rate() over redis_timeout_connected_clients, a gauge",
     lambda d: mutate_expr(d, lambda e: "rate(redis_timeout_connected_clients{target=~\"$target\"}[$__rate_interval])")),
    ("bare histogram name", "redis_timeout_ping_rtt_seconds is a histogram",
     lambda d: mutate_expr(d, lambda e: "redis_timeout_ping_rtt_seconds{target=~\"$target\"}")),
    ("no target filter", 'redis_timeout_target_up is selected without target=~"$target"',
     lambda d: mutate_expr(d, lambda e: "redis_timeout_target_up")),
    ("unbalanced parenthesis", "unclosed '('",
     lambda d: mutate_expr(d, lambda e: "sum(" + e)),
    ("${DS_PROMETHEUS} datasource", "__inputs / ${DS_",
     lambda d: first_query_panel(d).update(datasource={"type": "prometheus", "uid": "${DS_PROMETHEUS}"})),
    ("__inputs section", "__inputs / ${DS_",
     lambda d: d.update(__inputs=[{"name": "DS_PROMETHEUS", "type": "datasource"}])),
    ("query with a fixed datasource", "query datasource must be",
     lambda d: first_query_panel(d)["targets"][0].update(datasource={"type": "prometheus", "uid": "abc"})),
    ("panel without unit", "no unit",
     lambda d: first_query_panel(d)["fieldConfig"]["defaults"].pop("unit")),
    ("panel without description", "no description",
     lambda d: first_query_panel(d).pop("description")),
    ("duplicate panel id", "is used 2 times",
     lambda d: first_query_panel(d).update(id=list(panel_queries.iter_panels(d))[-1]["id"])),
    ("missing gridPos", "gridPos with integer h, w, x, y is required",
     lambda d: first_query_panel(d).pop("gridPos")),
    ("old schemaVersion", "schemaVersion 27",
     lambda d: d.update(schemaVersion=27)),
    ("numeric dashboard id", "`id` must be null",
     lambda d: d.update(id=42)),
    ("risk thresholds not drawn", "must draw thresholds as lines",
     lambda d: risk_timeseries(d)["fieldConfig"]["defaults"]["custom"].update(
         thresholdsStyle={"mode": "off"})),
    ("risk thresholds missing", "risk panel needs thresholds at 0.5",
     lambda d: risk_timeseries(d)["fieldConfig"]["defaults"].update(
         thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None}]})),
    ("no target variable", "no `target` template variable",
     lambda d: d["templating"].update(list=[v for v in d["templating"]["list"]
                                            if v["name"] != "target"])),
    ("unknown variable", "unknown variable $shard",
     lambda d: mutate_expr(d, lambda e: e.replace('target=~"$target"', 'target=~"$target", shard="$shard"', 1))),
]


def self_test(repo):
    families = load_metric_families(os.path.join(repo, "docs", "metrics.md"))
    files = sorted(glob.glob(os.path.join(repo, "dashboards", "*.json")))
    if not files:
        print(f"self-test: no dashboards under {repo}/dashboards")
        return 1
    docs_text = None  # the docs rule is covered by the lint run, not by the mutations
    base_path = files[0]
    base = json.load(open(base_path, encoding="utf-8"))
    name = os.path.relpath(base_path, repo)
    uids = {json.load(open(f, encoding="utf-8")).get("uid") for f in files}

    def run(doc):
        return check_dashboard(doc, json.dumps(doc), name, families, uids, docs_text).errors

    failures = 0
    errors = run(copy.deepcopy(base))
    if errors:
        print(f"self-test: the unbroken {name} is rejected:\n  " + "\n  ".join(errors))
        failures += 1
    else:
        print(f"self-test: unbroken {name} accepted")
    for label, expected, mutate in MUTATIONS:
        doc = copy.deepcopy(base)
        mutate(doc)
        errors = run(doc)
        hit = [e for e in errors if expected in e]
        if hit:
            print(f"self-test: rejected {label}: {hit[0]}")
        else:
            failures += 1
            print(f"self-test: FAILED to reject {label} (expected a message with {expected!r}; "
                  f"got {errors or 'no error'})")
    with tempfile.TemporaryDirectory(prefix="check-dashboards-") as tmp:
        broken = os.path.join(tmp, "broken.json")
        with open(broken, "w", encoding="utf-8") as f:
            f.write(json.dumps(base)[:-1])  # the closing brace cut off
        errors = check_files(repo, [broken], use_promtool=False, quiet=True)
    if any("not valid JSON" in e for e in errors):
        print("self-test: rejected invalid JSON")
    else:
        failures += 1
        print(f"self-test: FAILED to reject invalid JSON (got {errors})")
    checks = len(MUTATIONS) + 2
    ran, perrors = promtool_errors([("bad grouping", 'sum by target (redis_timeout_risk{target=~"$target"})')])
    if not ran:
        print("self-test: promtool not on PATH, PromQL syntax rejection not tested")
    elif perrors:
        checks += 1
        print(f"self-test: rejected invalid PromQL via promtool: {perrors[0][:160]}")
    else:
        checks += 1
        failures += 1
        print("self-test: FAILED to reject invalid PromQL `sum by target (…)` via promtool")
    print(f"self-test: {checks - failures} passed, {failures} failed")
    return 1 if failures else 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--repo", default=DEFAULT_REPO)
    parser.add_argument("--no-promtool", action="store_true")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args(argv)
    repo = os.path.abspath(args.repo)
    if args.self_test:
        return self_test(repo)
    files = args.files or sorted(glob.glob(os.path.join(repo, "dashboards", "*.json")))
    errors = check_files(repo, files, use_promtool=not args.no_promtool)
    if errors:
        print(f"\n{len(errors)} violation(s):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print(f"all rules hold for {len(files)} dashboard(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
