// dashboards/*.json: one file per dashboard (jsonnet -m dashboards/ mixin/build/dashboards.jsonnet).
// jsonnet's own JSON output: std.manifestJsonEx would indent by two, at 100 times the CPU time.
(import '../mixin.libsonnet').grafanaDashboards
