// The Grafana dashboards: panels as Grafana JSON (redis-timeout-*.json here, what the Grafana
// editor exports), made into what dashboards/*.json ships by the functions below, from _config:
//   - `job` and `instance` variables, and every target selector narrowed by them, so two
//     exporters watching targets of the same name are never merged into one series;
//   - a link to the runbooks of its alerts on each cause's risk panel (_config.runbookBase);
//   - the tags.
local causes = ['pool', 'network', 'memory', 'slowlog', 'backlog'];
local targetMatcher = 'target=~"$target"';
local scopedMatcher = 'job=~"$job", instance=~"$instance", ' + targetMatcher;

{
  local config = $._config,
  local variable(name, label, query) = {
    type: 'query',
    name: name,
    label: label,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    definition: query,
    query: { qryType: 1, query: query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    current: { selected: true, text: ['All'], value: ['$__all'] },
    hide: 0,
    includeAll: true,
    multi: true,
    options: [],
    refresh: 2,
    regex: '',
    skipUrlSync: false,
    sort: 1,
  },
  local scopeVariables = [
    variable('job', 'Job', config.jobVariableQuery),
    variable('instance', 'Instance', config.instanceVariableQuery),
  ],

  // The source's own job/instance variables (if any) give way to scopeVariables, which come
  // right after the datasource variable.
  local withScopeVariables(list) =
    local rest = [v for v in list if v.name != 'job' && v.name != 'instance'];
    [v for v in rest if v.type == 'datasource'] + scopeVariables +
    [v for v in rest if v.type != 'datasource'],

  // Idempotent: a selector already narrowed is narrowed once, not twice.
  local scopeExpr(expr) = std.strReplace(std.strReplace(expr, scopedMatcher, targetMatcher),
                                         targetMatcher,
                                         scopedMatcher),

  local causeOfRiskPanel(panel) =
    [c for c in causes if std.asciiLower(std.get(panel, 'title', '')) == c + ' risk'],
  local runbookLinks(cause) = [
    {
      title: 'Runbook: RedisTimeoutRisk%s%s' % [std.asciiUpper(cause[0]) + cause[1:], level],
      url: '%sRedisTimeoutRisk%s%s.md' % [
        config.runbookBase,
        std.asciiUpper(cause[0]) + cause[1:],
        level,
      ],
      targetBlank: true,
    }
    for level in ['Warning', 'Critical']
  ],

  local scopePanel(panel) = panel {
    [if std.objectHas(panel, 'targets') then 'targets']: [
      t + (if std.objectHas(t, 'expr') then { expr: scopeExpr(t.expr) } else {})
      for t in panel.targets
    ],
  } + (
    local cause = causeOfRiskPanel(panel);
    if cause == [] then {} else {
      links: [l for l in std.get(panel, 'links', []) if !std.startsWith(l.title, 'Runbook: ')] +
             runbookLinks(cause[0]),
    }
  ),

  local dashboard(source) = source {
    tags: config.dashboardTags,
    templating+: { list: withScopeVariables(source.templating.list) },
    panels: [scopePanel(p) for p in source.panels],
  },

  grafanaDashboards+:: {
    'redis-timeout-fleet.json': dashboard(import 'redis-timeout-fleet.json'),
    'redis-timeout-target.json': dashboard(import 'redis-timeout-target.json'),
  },
}
