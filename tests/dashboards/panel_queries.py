#!/usr/bin/env python3
"""Prints every panel query of the Grafana dashboards as JSON lines, variables substituted.

The full-stack test runs each printed `expr` against a real Prometheus; check_dashboards.py
imports the walking and substitution functions from here.

Usage:
  python3 tests/dashboards/panel_queries.py [DASHBOARD.json ...]
      --datasource UID        value of ${datasource} (reported in each line's "datasource")
      --target NAME           value of $target; repeat for several (Grafana's multi-value form:
                              each regex-escaped, joined as (a|b)); omit for "All" (.+)
      --rate-interval DUR     value of $__rate_interval, e.g. 1m (default 1m)
      --interval DUR          value of $__interval, e.g. 15s (default 15s)
      --range DUR             value of $__range (default 1h)
      --job REGEX             value of $job, the fleet dashboard's exporter job(s) (default .+:
                              every job; Grafana's "All" lists the jobs that have
                              redis_timeout_exporter_build_info)
      --cluster NAME          value of $cluster, the fleet dashboard's discovery (cluster, sentinel,
                              file); repeat for several; omit for "All" (.*, its custom all value,
                              which also matches the static targets' empty cluster label)

Without dashboard files it reads every dashboards/*.json of this repository. Each output line is
one query target of one panel:
  {"dashboard": "redis-timeout-target", "panel_id": 3, "panel": "Risk by cause over time",
   "panel_type": "timeseries", "ref_id": "A", "datasource": "UID", "instant": false,
   "format": "time_series", "legend": "{{target}} {{cause}}", "expr": "max by ..."}
Exit code 0; 2 when a query keeps a variable this script does not know (the line is still
printed, with the variable left in place, and the variable is named on stderr).
"""
import argparse
import glob
import json
import os
import re
import signal
import sys

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# $name, ${name}, ${name:format}, [[name]]: the forms Grafana interpolates.
VARIABLE_RE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]|\$(\w+)")


def default_dashboard_files():
    return sorted(glob.glob(os.path.join(REPO, "dashboards", "*.json")))


def iter_panels(dashboard):
    """Every panel, rows' nested panels (collapsed rows) included, in file order."""
    for panel in dashboard.get("panels", []):
        yield panel
        for inner in panel.get("panels", []) or []:
            yield inner


def iter_queries(dashboard):
    """(panel, target) for every query target of every panel."""
    for panel in iter_panels(dashboard):
        for target in panel.get("targets", []) or []:
            yield panel, target


def regex_escape(value):
    """Grafana's prometheusSpecialRegexEscape: the value inside a =~"..." PromQL string."""
    value = value.replace("\\", "\\\\\\\\")
    return re.sub(r"([$^*{}\[\]'+?.()|])", r"\\\\\1", value)


def multi_value(values, all_value):
    """How Grafana renders a multi-value/include-all variable inside a PromQL regex matcher."""
    if not values:
        return all_value
    escaped = [regex_escape(v) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def substitute(expr, values):
    """Replaces the variables of `expr` from `values` (name -> text). Returns (text, unknown)."""
    unknown = []

    def repl(m):
        name = m.group(1) or m.group(3) or m.group(5)
        if name in values:
            return values[name]
        unknown.append(name)
        return m.group(0)

    return VARIABLE_RE.sub(repl, expr), unknown


def variable_values(datasource="prometheus", targets=(), rate_interval="1m", interval="15s",
                    range_="1h", job=".+", clusters=()):
    return {
        "datasource": datasource,
        "target": multi_value(list(targets), ".+"),
        "cluster": multi_value(list(clusters), ".*"),
        "job": job,
        "instance": ".+",
        "__rate_interval": rate_interval,
        "__interval": interval,
        "__range": range_,
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dashboards", nargs="*", help="dashboard JSON files (default: dashboards/*.json)")
    parser.add_argument("--datasource", default="prometheus")
    parser.add_argument("--target", action="append", default=[])
    parser.add_argument("--rate-interval", default="1m")
    parser.add_argument("--interval", default="15s")
    parser.add_argument("--range", dest="range_", default="1h")
    parser.add_argument("--job", default=".+")
    parser.add_argument("--cluster", action="append", default=[])
    args = parser.parse_args(argv)

    values = variable_values(args.datasource, args.target, args.rate_interval, args.interval,
                             args.range_, args.job, args.cluster)
    status = 0
    for path in args.dashboards or default_dashboard_files():
        with open(path, encoding="utf-8") as f:
            dashboard = json.load(f)
        for panel, target in iter_queries(dashboard):
            expr, unknown = substitute(target.get("expr", ""), values)
            if unknown:
                print(f"{os.path.basename(path)}: panel {panel.get('id')} "
                      f"\"{panel.get('title')}\" {target.get('refId')}: unknown variable(s) "
                      f"{', '.join(sorted(set(unknown)))}", file=sys.stderr)
                status = 2
            ds = (target.get("datasource") or panel.get("datasource") or {}).get("uid", "")
            ds, _ = substitute(ds, values)
            print(json.dumps({
                "dashboard": dashboard.get("uid"),
                "panel_id": panel.get("id"),
                "panel": panel.get("title"),
                "panel_type": panel.get("type"),
                "ref_id": target.get("refId"),
                "datasource": ds,
                "instant": bool(target.get("instant")) and not target.get("range"),
                "format": target.get("format", "time_series"),
                "legend": target.get("legendFormat", ""),
                "expr": expr,
            }, ensure_ascii=False))
    return status


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the output quietly
    sys.exit(main(sys.argv[1:]))
