// redis-timeout-exporter's monitoring mixin (the monitoring-mixins layout): _config,
// prometheusRules (recording), prometheusAlerts, grafanaDashboards. `make mixin` renders it
// into deploy/prometheus/redis-timeout-rules.yml and dashboards/*.json (mixin/README.md).
(import 'config.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
