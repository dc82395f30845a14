// deploy/prometheus/redis-timeout-rules.yml: the recording rules and the alerts in one group,
// recording rules first, so every evaluation of an alert reads levels from the same cycle.
local mixin = import '../mixin.libsonnet';

local header = |||
  # GENERATED from mixin/ by `make mixin` (scripts/generate-mixin.sh): do not edit, edit the
  # jsonnet; a test fails when this file and the mixin differ.
  #
  # Alert rules for redis-timeout-exporter: which of five causes (pool, network, memory,
  # slowlog, backlog) is about to make a Redis target time out, plus the exporter's own health.
  # Reference: docs/runbooks/README.md; one runbook per alert in docs/runbooks/<AlertName>.md;
  # the risk model in docs/risk.md. How early a cause warns or pages: the exporter's
  # `thresholds:`. The alert levels on the risk scale: mixin/rules/. The scrape job, the `for:`
  # durations and the runbook base URL: mixin/config.libsonnet.
|||;

local rules = std.flattenArrays([g.rules for g in mixin.prometheusRules.groups]);
local alerts = std.flattenArrays([g.rules for g in mixin.prometheusAlerts.groups]);

header + std.manifestYamlDoc(
  { groups: [{ name: 'redis-timeout-exporter', rules: rules + alerts }] },
  indent_array_in_object=true,
  quote_keys=false,
)
