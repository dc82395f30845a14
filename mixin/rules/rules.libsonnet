// Recording rules: the alert levels on the risk scale (0..1). Every cause alert reads these
// two, so moving a level moves every cause's alerts together. How early a cause reaches a level
// is set by the exporter's `thresholds:`, not here (docs/risk.md).
{
  prometheusRules+:: {
    groups+: [{
      name: 'redis-timeout-exporter.rules',
      rules: [
        { record: 'target_cause:redis_timeout_risk:warn', expr: 'redis_timeout_risk >= 0.5' },
        { record: 'target_cause:redis_timeout_risk:critical', expr: 'redis_timeout_risk >= 0.8' },
      ],
    }],
  },
}
