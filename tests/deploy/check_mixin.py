#!/usr/bin/env python3
"""The mixin's _config does what it says: an override of the job selector, a `for:` and the
runbook base reaches the rendered rules and dashboards, and the defaults are what ships.

Usage: check_mixin.py --repo ROOT   (needs Debian's jsonnet; exits 1 with every failure)
The byte-for-byte drift of the committed files is scripts/generate-mixin.sh --check.
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys

OVERRIDE = """
(import 'mixin.libsonnet') + {
  _config+:: {
    exporterSelector: 'job="exporters", cluster="eu-1"',
    runbookBase: 'https://wiki.example/runbooks/',
    alertFor+: { RedisTimeoutExporterDown: '7m' },
  },
}
"""
REPO_RUNBOOKS = ("https://github.com/redis-timeout-exporter/redis-timeout-exporter/blob/main/"
                 "docs/runbooks/")


def render(repo, snippet):
    # Plain JSON output (no std.manifest*): evaluated in well under a second.
    out = subprocess.run(["jsonnet", "-J", str(repo / "mixin"), "-e", snippet],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL: jsonnet: {out.stderr.strip()}")
    return json.loads(out.stdout)


def alerts(mixin):
    return {r["alert"]: r for g in mixin["prometheusAlerts"]["groups"] for r in g["rules"]}


def main():
    if shutil.which("jsonnet") is None:
        sys.exit("FAIL: jsonnet not found on PATH; install the Debian package jsonnet "
                 "(scripts/install-deps.sh test)")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, type=pathlib.Path)
    repo = parser.parse_args().repo
    fields = "{ prometheusAlerts: m.prometheusAlerts, grafanaDashboards: m.grafanaDashboards }"
    default = render(repo, f"local m = import 'mixin.libsonnet'; {fields}")
    custom = render(repo, f"local m = {OVERRIDE}; {fields}")
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    d, c = alerts(default), alerts(custom)
    check(d["RedisTimeoutExporterDown"]["expr"].count('job="redis-timeout-exporter"') == 2,
          "default: the exporter-down alert does not select job=\"redis-timeout-exporter\"")
    check(c["RedisTimeoutExporterDown"]["expr"].count('job="exporters", cluster="eu-1"') == 2,
          "override: exporterSelector does not reach up{} and absent(up{})")
    check('redis-timeout-exporter"' not in c["RedisTimeoutExporterDown"]["expr"],
          "override: the default job is still selected")
    check(c["RedisTimeoutExporterDown"]["for"] == "7m", "override: alertFor does not set for:")
    check(c["RedisTimeoutTargetUnreachable"]["for"] == d["RedisTimeoutTargetUnreachable"]["for"],
          "override: alertFor+ of one alert changed another")
    for name in d:
        check(d[name]["annotations"]["runbook_url"] == f"{REPO_RUNBOOKS}{name}.md",
              f"default: {name} runbook_url is not this repository's docs/runbooks/{name}.md")
        check(c[name]["annotations"]["runbook_url"] == f"https://wiki.example/runbooks/{name}.md",
              f"override: {name} runbook_url does not follow runbookBase")
        check((repo / "docs/runbooks" / f"{name}.md").exists(), f"{name}: no runbook file")

    for mixin, base in ((default, REPO_RUNBOOKS), (custom, "https://wiki.example/runbooks/")):
        for file, dash in mixin["grafanaDashboards"].items():
            names = [v["name"] for v in dash["templating"]["list"]]
            check({"job", "instance"} <= set(names), f"{file}: no job/instance variables")
            for p in dash["panels"]:
                for t in p.get("targets", []):
                    expr = t.get("expr", "")
                    if 'target=~"$target"' in expr:
                        check('job=~"$job", instance=~"$instance", target=~"$target"' in expr and
                              expr.count('instance=~"$instance"') == expr.count('target=~"$target"'),
                              f"{file}: {p['title']}: target selector not scoped by job/instance")
                if p.get("title", "").endswith(" risk") and p["type"] != "row" and \
                        file == "redis-timeout-target.json":
                    urls = [l["url"] for l in p.get("links", [])]
                    check(len(urls) == 2 and all(u.startswith(base) for u in urls),
                          f"{file}: {p['title']}: no runbook links under {base}")
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print(f"mixin _config OK: {len(d)} alerts, dashboards {sorted(default['grafanaDashboards'])}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
