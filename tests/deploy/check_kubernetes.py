#!/usr/bin/env python3
"""Renders deploy/kubernetes/<variant> with `kubectl kustomize` and checks every object.

Usage: check_kubernetes.py --repo ROOT --variant base|sharded|node-local --exporter BINARY

What a user relies on, per object: the workload runs the image of this version as non-root
with a read-only root filesystem, no privilege escalation, no capabilities, requests and limits,
liveness and readiness probes on /-/healthy, the config from the ConfigMap (which the exporter's
own --config.check accepts) and the Secret mounted optionally; the Service and ServiceMonitor
reach the pods' metrics port; the PrometheusRule holds exactly the groups of
deploy/prometheus/redis-timeout-rules.yml. Per overlay: the StatefulSet's replicas equal its
--shard.count and each pod takes its index from its hostname; the DaemonSet is on the host
network with the host's /proc as --path.procfs. Exits 1 with every failure listed.
"""
import argparse
import pathlib
import shutil
import re
import subprocess
import sys
import tempfile

import yaml

NAME = "redis-timeout-exporter"
LABEL = {"app.kubernetes.io/name": NAME}
WORKLOAD = {"base": "Deployment", "sharded": "StatefulSet", "node-local": "DaemonSet"}
SECRET_KEYS = {"password", "ca.crt", "tls.crt", "tls.key"}


class Checker:
    def __init__(self):
        self.failures = []

    def check(self, ok, what):
        if not ok:
            self.failures.append(what)
        return ok


def render(repo: pathlib.Path, variant: str):
    out = subprocess.run(["kubectl", "kustomize", str(repo / "deploy/kubernetes" / variant)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL: kubectl kustomize {variant}: {out.stderr.strip()}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def arg_value(args, flag):
    for a in args:
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


def check_workload(c, repo, variant, w, objects, exporter):
    kind = w["kind"]
    pod_meta = w["spec"]["template"]["metadata"]
    pod = w["spec"]["template"]["spec"]
    c.check(w["spec"]["selector"]["matchLabels"].items() <= pod_meta["labels"].items(),
            f"{kind}: selector does not match the pod labels")
    psc = pod.get("securityContext", {})
    c.check(psc.get("runAsNonRoot") is True, f"{kind}: pod securityContext.runAsNonRoot is not true")
    c.check(isinstance(psc.get("runAsUser"), int) and psc["runAsUser"] > 0,
            f"{kind}: pod securityContext.runAsUser is not a non-zero uid")
    c.check(pod.get("automountServiceAccountToken") is False,
            f"{kind}: the pod mounts a service account token it never uses")
    containers = pod["containers"]
    c.check(len(containers) == 1, f"{kind}: expected one container")
    ctr = containers[0]
    version = re.search(r"project\(redis-timeout-exporter VERSION ([0-9.]+)",
                        (repo / "CMakeLists.txt").read_text()).group(1)
    c.check(ctr["image"] == f"{NAME}:{version}",
            f"{kind}: image {ctr['image']} is not {NAME}:{version} (scripts/build-image.sh's tag)")
    sc = ctr.get("securityContext", {})
    c.check(sc.get("readOnlyRootFilesystem") is True, f"{kind}: root filesystem is not read-only")
    c.check(sc.get("allowPrivilegeEscalation") is False, f"{kind}: allowPrivilegeEscalation is not false")
    c.check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{kind}: capabilities not dropped")
    res = ctr.get("resources", {})
    for part, keys in (("requests", ("cpu", "memory")), ("limits", ("memory",))):
        for key in keys:
            c.check(key in res.get(part, {}), f"{kind}: resources.{part}.{key} missing")
    ports = {p["name"]: p["containerPort"] for p in ctr.get("ports", [])}
    c.check(ports.get("metrics") == 9478, f"{kind}: no container port 'metrics' 9478")
    listen = arg_value(ctr["args"], "--web.listen-address")
    c.check(listen == ":9478", f"{kind}: --web.listen-address is {listen}, not :9478")
    for probe in ("livenessProbe", "readinessProbe"):
        get = ctr.get(probe, {}).get("httpGet", {})
        c.check(get.get("path") == "/-/healthy" and get.get("port") == "metrics",
                f"{kind}: {probe} is not an HTTP GET of /-/healthy on the metrics port")

    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["name"]: m for m in ctr.get("volumeMounts", [])}
    for name, m in mounts.items():
        c.check(name in volumes, f"{kind}: mount {name} has no volume")
        c.check(m.get("readOnly") is True, f"{kind}: mount {name} is writable")
    config_files = [
        o for o in objects if o["kind"] == "ConfigMap"
        and o["metadata"]["name"] == volumes.get("config", {}).get("configMap", {}).get("name")]
    if c.check(len(config_files) == 1, f"{kind}: the config volume's ConfigMap is not rendered"):
        config_file = arg_value(ctr["args"], "--config.file")
        mount = mounts.get("config", {}).get("mountPath", "?")
        c.check(config_file == f"{mount}/config.yaml",
                f"{kind}: --config.file={config_file} is not config.yaml in the ConfigMap mount {mount}")
        text = config_files[0]["data"]["config.yaml"]
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(text)
            f.flush()
            check = subprocess.run([exporter, "--config.check", f"--config.file={f.name}"],
                                   capture_output=True, text=True)
        c.check(check.returncode == 0,
                f"{kind}: the ConfigMap's config.yaml fails --config.check: {check.stderr.strip()}")
    secret = volumes.get("secrets", {}).get("secret", {})
    c.check(secret.get("optional") is True, f"{kind}: the Secret volume is not optional")
    example = yaml.safe_load((repo / "deploy/kubernetes/base/secret.example.yaml").read_text())
    c.check(example["kind"] == "Secret" and example["metadata"]["name"] == secret.get("secretName"),
            f"{kind}: the Secret volume does not name secret.example.yaml's Secret")
    c.check(set(example.get("stringData", {})) == SECRET_KEYS,
            f"secret.example.yaml: keys are not {sorted(SECRET_KEYS)}")
    c.check(not any(o["kind"] == "Secret" for o in objects),
            "a Secret is rendered: the example must stay out of kustomization.yaml")

    if variant == "sharded":
        count = arg_value(ctr["args"], "--shard.count")
        c.check(count is not None and int(count) == w["spec"]["replicas"],
                f"StatefulSet: --shard.count={count} differs from replicas {w['spec']['replicas']}")
        c.check(int(count or 0) > 1, "StatefulSet: not sharded (--shard.count <= 1)")
        c.check("--shard.index-from-hostname" in ctr["args"],
                "StatefulSet: no --shard.index-from-hostname (pods would all be shard 0)")
        services = [o for o in objects if o["kind"] == "Service"]
        c.check(len(services) == 1 and services[0]["metadata"]["name"] == w["spec"]["serviceName"],
                "StatefulSet: serviceName is not the one rendered Service")
        c.check(services[0]["spec"].get("clusterIP") == "None",
                "StatefulSet: its governing Service is not headless")
    if variant == "node-local":
        c.check(pod.get("hostNetwork") is True, "DaemonSet: not on the host network")
        c.check(pod.get("dnsPolicy") == "ClusterFirstWithHostNet",
                "DaemonSet: dnsPolicy must be ClusterFirstWithHostNet on the host network")
        procfs = arg_value(ctr["args"], "--path.procfs")
        c.check(volumes.get("proc", {}).get("hostPath", {}).get("path") == "/proc",
                "DaemonSet: the host's /proc is not a volume")
        c.check(procfs is not None and mounts.get("proc", {}).get("mountPath") == procfs,
                f"DaemonSet: --path.procfs={procfs} is not where the host's /proc is mounted")
    return pod_meta["labels"]


def main():
    if shutil.which("kubectl") is None:
        sys.exit("FAIL: kubectl not found on PATH; install the Debian package kubernetes-client "
                 "(scripts/install-deps.sh test)")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, type=pathlib.Path)
    parser.add_argument("--variant", required=True, choices=sorted(WORKLOAD))
    parser.add_argument("--exporter", required=True, help="the redis-timeout-exporter binary")
    args = parser.parse_args()
    c = Checker()
    objects = render(args.repo, args.variant)
    kinds = sorted(o["kind"] for o in objects)
    want = sorted(["ConfigMap", "Service", "ServiceMonitor", "PrometheusRule",
                   WORKLOAD[args.variant]])
    c.check(kinds == want, f"rendered {kinds}, want {want}")
    for o in objects:
        labels = o["metadata"].get("labels", {})
        c.check(LABEL.items() <= labels.items(), f"{o['kind']}: no label {LABEL}")
        c.check(o["metadata"]["name"] == NAME, f"{o['kind']}: named {o['metadata']['name']}")

    by_kind = {o["kind"]: o for o in objects}
    pod_labels = {}
    if WORKLOAD[args.variant] in by_kind:
        pod_labels = check_workload(c, args.repo, args.variant, by_kind[WORKLOAD[args.variant]],
                                    objects, args.exporter)
    svc = by_kind.get("Service")
    if svc:
        c.check(svc["spec"]["selector"].items() <= pod_labels.items(),
                "Service: selector does not match the pods")
        c.check(any(p.get("name") == "metrics" and p.get("targetPort") == "metrics"
                    for p in svc["spec"]["ports"]), "Service: no port 'metrics' to the pods")
    sm = by_kind.get("ServiceMonitor")
    if sm and svc:
        c.check(sm["apiVersion"] == "monitoring.coreos.com/v1", "ServiceMonitor: apiVersion")
        c.check(sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items(),
                "ServiceMonitor: selector does not match the Service")
        c.check(any(e.get("port") == "metrics" and e.get("path", "/metrics") == "/metrics"
                    for e in sm["spec"]["endpoints"]),
                "ServiceMonitor: no endpoint scraping /metrics on port 'metrics'")
    rule = by_kind.get("PrometheusRule")
    if rule:
        groups = yaml.safe_load(
            (args.repo / "deploy/prometheus/redis-timeout-rules.yml").read_text())["groups"]
        c.check(rule["spec"]["groups"] == groups,
                "PrometheusRule: its groups differ from deploy/prometheus/redis-timeout-rules.yml "
                "(run `make mixin`)")

    for f in c.failures:
        print(f"FAIL [{args.variant}]: {f}")
    if c.failures:
        return 1
    print(f"{args.variant}: {len(objects)} objects OK: " +
          ", ".join(f"{o['kind']}/{o['metadata']['name']}" for o in objects))
    return 0


if __name__ == "__main__":
    sys.exit(main())
