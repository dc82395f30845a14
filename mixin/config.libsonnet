// What a user of the mixin sets: override in their own jsonnet, e.g.
//   (import 'redis-timeout-exporter-mixin/mixin.libsonnet') + {
//     _config+:: { exporterSelector: 'job="redis-exporters"', runbookBase: 'https://wiki/rb/' },
//   }
{
  _config+:: {
    // Selects the exporter's scrape job for RedisTimeoutExporterDown (up{...} and absent(up{...})),
    // the only rule that depends on what the job is called. With the Prometheus Operator the
    // job is the Service's name (deploy/kubernetes/).
    exporterSelector: 'job="redis-timeout-exporter"',

    // runbook_url of every alert and the runbook link on each cause panel: base + name + '.md'.
    // Default: the runbooks' path in this repository (docs/runbooks/).
    runbookBase: 'https://github.com/redis-timeout-exporter/redis-timeout-exporter/blob/main/docs/runbooks/',

    // How long each alert's condition must hold before it fires. They assume a 5 s
    // poll_interval and a 15-30 s scrape interval; the risk windows behind the cause alerts are
    // set by the exporter's `thresholds:` (docs/risk.md), not here. Alerts not listed fire on
    // the first evaluation (counter increases that are already facts).
    alertFor: {
      RedisTimeoutExporterDown: '2m',
      RedisTimeoutConfigReloadFailed: '5m',
      RedisTimeoutTargetUnreachable: '1m',
      RedisTimeoutTargetNotServing: '30s',
      RedisTimeoutPollsStale: '1m',
      RedisTimeoutTlsCertificateExpiringSoon: '10m',
      RedisTimeoutClusterDown: '1m',
      RedisTimeoutClusterFailoverInProgress: '15s',
      RedisTimeoutSentinelsDisagree: '2m',
      RedisTimeoutRiskPoolWarning: '2m',
      RedisTimeoutRiskPoolCritical: '30s',
      RedisTimeoutRiskNetworkWarning: '2m',
      RedisTimeoutRiskNetworkCritical: '30s',
      RedisTimeoutRiskNetworkPingFailures: '30s',
      RedisTimeoutRiskMemoryWarning: '2m',
      RedisTimeoutRiskMemoryFillingUp: '10m',
      RedisTimeoutRiskMemoryCritical: '30s',
      RedisTimeoutRiskSlowlogWarning: '30s',
      RedisTimeoutRiskSlowlogCritical: '30s',
      RedisTimeoutRiskBacklogWarning: '30s',
      RedisTimeoutRiskBacklogCritical: '30s',
    },

    // Dashboards: their tags, and the label values the job and instance variables offer.
    dashboardTags: ['redis', 'redis-timeout-exporter'],
    jobVariableQuery: 'label_values(redis_timeout_exporter_build_info, job)',
    instanceVariableQuery: 'label_values(redis_timeout_exporter_build_info{job=~"$job"}, instance)',
  },
}
