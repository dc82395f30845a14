// The alerts: one warning and one critical per cause, plus the exporter's and the targets'
// health, and that of the discovered Redis Clusters and Sentinels (cause `cluster`). Each
// alert's `for:` comes from _config.alertFor, its runbook_url from _config.runbookBase, and the
// one rule that selects on the scrape job from _config.exporterSelector (config.libsonnet).
// One runbook per alert: docs/runbooks/<name>.md.
{
  local alert(name, rule) = { alert: name } + rule + {
    [if std.objectHas($._config.alertFor, name) then 'for']: $._config.alertFor[name],
    annotations+: { runbook_url: $._config.runbookBase + name + '.md' },
  },
  // The path's own witnesses, quoted by both network alerts: packet loss on the probe socket,
  // and the large-payload probe (much slower than PING: an MTU black hole or fragmentation).
  local pathWitnesses = 'TCP retransmits in the last 5 minutes {{ with printf ' +
                        "\"increase(redis_timeout_tcp_retransmits_total{target='%s',instance='%s'}[5m])\" " +
                        '$labels.target $labels.instance | query }}{{ . | first | value | printf ' +
                        '"%.0f" }}{{ else }}unknown{{ end }}, 4 KiB ECHO round trip {{ with printf ' +
                        "\"redis_timeout_large_payload_rtt_seconds{target='%s',instance='%s'}\" " +
                        '$labels.target $labels.instance | query }}{{ . | first | value | ' +
                        'humanizeDuration }}{{ else }}unknown{{ end }}',

  // One count of a labelled family, by name: range over a query would list the states in no
  // fixed order.
  local countOf(family, label, state) = '{{ with printf "' + family + "{cluster='%s',instance='%s'," +
                                        label + "='" + state + "'}\" $labels.cluster $labels.instance | " +
                                        'query }}{{ . | first | value | printf "%.0f" }}{{ else }}unknown{{ ' +
                                        'end }}',
  local clusterNodes = 'Nodes ok ' + countOf('redis_timeout_cluster_nodes', 'state', 'ok') +
                       ', pfail ' + countOf('redis_timeout_cluster_nodes', 'state', 'pfail') +
                       ', fail ' + countOf('redis_timeout_cluster_nodes', 'state', 'fail'),

  prometheusAlerts+:: {
    groups+: [{
      name: 'redis-timeout-exporter',
      rules: [
        alert('RedisTimeoutExporterDown', {
          expr: |||
            up{%(exporterSelector)s} == 0
            or
            absent(up{%(exporterSelector)s})
          ||| % $._config,
          labels: {
            severity: 'warning',
            cause: 'exporter',
          },
          annotations: {
            summary: 'redis-timeout-exporter {{ with $labels.instance }}{{ . }} {{ end }}is not being ' +
                     'scraped',
            description: '{{ if $labels.instance }}Prometheus has failed to scrape {{ $labels.instance }} ' +
                         '(job {{ $labels.job }}) for 2 minutes{{ else }}Prometheus has no target in job ' +
                         'redis-timeout-exporter{{ end }}. While it lasts no Redis timeout-risk alert can ' +
                         'fire for the targets that exporter watches.',
          },
        }),
        alert('RedisTimeoutConfigReloadFailed', {
          expr: 'redis_timeout_config_last_reload_successful == 0',
          labels: {
            severity: 'warning',
            cause: 'exporter',
          },
          annotations: {
            summary: 'redis-timeout-exporter {{ $labels.instance }}: config reload failed',
            description: 'The config file on {{ $labels.instance }} failed to load; the exporter keeps ' +
                         'running on the config it last loaded successfully {{- with printf "time() - ' +
                         "redis_timeout_config_last_reload_success_timestamp_seconds{instance='%s',job='%s'}\" " +
                         '$labels.instance $labels.job | query }} {{ . | first | value | humanizeDuration ' +
                         '}} ago{{ end }}. New or changed targets are not watched until the file is fixed.',
          },
        }),
        alert('RedisTimeoutTargetUnreachable', {
          expr: |||
            redis_timeout_target_up == 0
            unless ignoring(cause)
            target_cause:redis_timeout_risk:critical{cause=~"pool|backlog"}
            unless on (job, instance, target)
            redis_timeout_target_serving == 0
          |||,
          labels: {
            severity: 'critical',
            cause: 'target',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }} is unreachable',
            description: 'The exporter on {{ $labels.instance }} has not completed a poll of {{ ' +
                         '$labels.target }} for over a minute (connect, AUTH and INFO must all answer). ' +
                         'Failed polls in the last 5 minutes by stage: {{- range printf ' +
                         "\"increase(redis_timeout_poll_errors_total{target='%s',instance='%s'}[5m]) > 0\" " +
                         '$labels.target $labels.instance | query }} {{ .Labels.stage }} {{ printf "%.0f" ' +
                         '.Value }}{{ else }} none recorded{{ end }}. The cause alerts of this target are ' +
                         'inhibited while this fires.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutTargetNotServing', {
          expr: 'redis_timeout_target_not_serving_info == 1',
          labels: {
            severity: 'critical',
            cause: 'target',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }} is not serving ({{ $labels.reason }})',
            description: '{{ $labels.target }} answers the exporter on {{ $labels.instance }} but has not ' +
                         'served its clients for 30 seconds: {{ $labels.reason }}. {{- with printf ' +
                         "\"redis_timeout_loading_progress_ratio{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }} {{ . | first | value | humanizePercentage }} of the ' +
                         'dataset is loaded.{{ end }} The triage page says what holds it and what to do.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutPollsStale', {
          expr: |||
            (time() - redis_timeout_last_poll_success_timestamp_seconds) > 60
            unless
            redis_timeout_target_up == 0
          |||,
          labels: {
            severity: 'warning',
            cause: 'exporter',
          },
          annotations: {
            summary: 'redis-timeout-exporter {{ $labels.instance }}: data of {{ $labels.target }} is ' +
                     'stale',
            description: 'The last successful poll of {{ $labels.target }} finished {{ $value | ' +
                         'humanizeDuration }} ago, yet the exporter on {{ $labels.instance }} still ' +
                         'reports it up: its poll loop is stuck, and every risk of this target is frozen ' +
                         'at old values.',
          },
        }),
        // 14 days: two runs of a weekly renewal job, and a working week to renew by hand. Past
        // notAfter every client that verifies refuses to connect: a total outage.
        alert('RedisTimeoutTlsCertificateExpiringSoon', {
          expr: 'redis_timeout_tls_certificate_expiry_timestamp_seconds - time() < 14 * 86400',
          labels: {
            severity: 'warning',
            cause: 'target',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: TLS certificate expires within 14 days',
            description: 'The certificate Redis {{ $labels.target }} presents to the exporter on {{ ' +
                         '$labels.instance }} is valid until {{ with printf ' +
                         "\"redis_timeout_tls_certificate_expiry_timestamp_seconds{target='%s',instance='%s'}\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | ' +
                         'humanizeTimestamp }}{{ end }} ({{ $value | humanizeDuration }} from now; ' +
                         'negative: already expired). After that every client that verifies ' +
                         'certificates refuses to connect. Renew it and make Redis load it (CONFIG SET ' +
                         'tls-cert-file, or the provider\'s rotation).',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        // The exporter itself out of descriptors: polls fail at connect (every target of this
        // exporter looks unreachable) or scrapes are not accepted. Any occurrence is news.
        alert('RedisTimeoutExporterOutOfFileDescriptors', {
          expr: 'rate(redis_timeout_fd_exhausted_total[5m]) > 0',
          labels: {
            severity: 'warning',
            cause: 'exporter',
          },
          annotations: {
            summary: 'redis-timeout-exporter {{ $labels.instance }} ran out of file descriptors ' +
                     '({{ $labels.operation }})',
            description: 'The exporter on {{ $labels.instance }} hit EMFILE/ENFILE {{ with printf ' +
                         "\"increase(redis_timeout_fd_exhausted_total{instance='%s',operation='%s'}[5m])\" " +
                         '$labels.instance $labels.operation | query }}{{ . | first | value | printf ' +
                         '"%.0f" }}{{ else }}some{{ end }} time(s) in the last 5 minutes while {{ if eq ' +
                         '$labels.operation "connect" }}opening a connection to Redis: those polls fail at ' +
                         'stage connect, and its targets look unreachable{{ else }}accepting a web ' +
                         'connection: scrapes and /triage wait or fail{{ end }}. Descriptors open {{ with ' +
                         "printf \"process_open_fds{instance='%s'}\" $labels.instance | query }}{{ . | " +
                         'first | value | printf "%.0f" }}{{ else }}unknown{{ end }} of a limit of {{ with ' +
                         "printf \"process_max_fds{instance='%s'}\" $labels.instance | query }}{{ . | first " +
                         '| value | printf "%.0f" }}{{ else }}unknown{{ end }}.',
          },
        }),
        // A discovery that cannot refresh keeps its last targets: new nodes and failovers go
        // unseen. Errors alone are not enough (one seed or sentinel down among several is
        // normal); 90 s without a success is three default refresh intervals.
        alert('RedisTimeoutDiscoveryFailing', {
          expr: |||
            increase(redis_timeout_discovery_errors_total[5m]) > 0
            and on (job, instance, discovery)
            (time() - redis_timeout_discovery_last_success_timestamp_seconds) > 90
          |||,
          labels: {
            severity: 'warning',
            cause: 'exporter',
          },
          annotations: {
            summary: 'redis-timeout-exporter {{ $labels.instance }}: discovery {{ $labels.discovery }} ' +
                     'cannot refresh',
            description: 'Discovery {{ $labels.discovery }} on {{ $labels.instance }} failed {{ printf ' +
                         '"%.0f" $value }} time(s) in the last 5 minutes and {{ with printf ' +
                         "\"redis_timeout_discovery_last_success_timestamp_seconds{discovery='%s',instance='%s'} > 0\" " +
                         '$labels.discovery $labels.instance | query }}last succeeded {{ . | first | value ' +
                         '| humanizeTimestamp }}{{ else }}has never succeeded{{ end }}. It keeps the {{ with ' +
                         "printf \"redis_timeout_discovery_targets{discovery='%s',instance='%s'}\" " +
                         '$labels.discovery $labels.instance | query }}{{ . | first | value | printf ' +
                         '"%.0f" }}{{ else }}unknown number of{{ end }} target(s) it last found: new nodes, ' +
                         'removed nodes and failovers are not followed. The exporter log says why ' +
                         '(event=discovery_failed discovery={{ $labels.discovery }}).',
          },
        }),
        alert('RedisTimeoutClusterDown', {
          expr: 'redis_timeout_cluster_state_ok == 0',
          labels: {
            severity: 'critical',
            cause: 'cluster',
          },
          annotations: {
            summary: 'Redis Cluster {{ $labels.cluster }} is down (cluster_state:fail)',
            description: 'CLUSTER INFO of Redis Cluster {{ $labels.cluster }} (asked by the exporter on ' +
                         '{{ $labels.instance }}) has reported cluster_state:fail for a minute: the ' +
                         'cluster refuses commands (CLUSTERDOWN) for {{ with printf ' +
                         "\"redis_timeout_cluster_slots_uncovered{cluster='%s',instance='%s'}\" " +
                         '$labels.cluster $labels.instance | query }}{{ . | first | value | printf "%.0f" ' +
                         '}}{{ else }}an unknown number of{{ end }} of 16384 slots not covered by a healthy ' +
                         'master, or for all of them when it lost the majority of its masters. ' +
                         clusterNodes + '.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        // cluster-node-timeout (15 s by default) plus the replicas' election: a failover that
        // lasts longer than one default evaluation interval is one clients are waiting on.
        alert('RedisTimeoutClusterFailoverInProgress', {
          expr: 'redis_timeout_cluster_failover_in_progress == 1',
          labels: {
            severity: 'warning',
            cause: 'cluster',
          },
          annotations: {
            summary: 'Redis Cluster {{ $labels.cluster }}: failover in progress, clients are waiting',
            description: 'In Redis Cluster {{ $labels.cluster }} (seen by the exporter on {{ ' +
                         '$labels.instance }}) a master flagged fail or fail? still holds slots, or ' +
                         'cluster_state is fail: clients of those slots wait cluster-node-timeout and ' +
                         'time out until a replica takes over. ' + clusterNodes +
                         '; slots not covered {{ with printf ' +
                         "\"redis_timeout_cluster_slots_uncovered{cluster='%s',instance='%s'}\" " +
                         '$labels.cluster $labels.instance | query }}{{ . | first | value | printf "%.0f" ' +
                         '}}{{ else }}unknown{{ end }}. Lasting more than a few cluster-node-timeouts, the ' +
                         'failed master has no replica able to take over.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        // During a Sentinel failover the sentinels disagree for a few seconds; for 2 minutes it
        // is a split view or sentinels down, and the next failover may not reach a quorum.
        alert('RedisTimeoutSentinelsDisagree', {
          expr: 'sum without (state) (redis_timeout_sentinel_sentinels{state=~"disagree|unreachable"}) > 0',
          labels: {
            severity: 'warning',
            cause: 'cluster',
          },
          annotations: {
            summary: 'Sentinel {{ $labels.cluster }}: {{ printf "%.0f" $value }} sentinel(s) disagree ' +
                     'or are unreachable',
            description: 'Of the sentinels of {{ $labels.cluster }} asked by the exporter on {{ ' +
                         '$labels.instance }}, ' +
                         countOf('redis_timeout_sentinel_sentinels', 'state', 'agree') + ' agree, ' +
                         countOf('redis_timeout_sentinel_sentinels', 'state', 'disagree') + ' disagree and ' +
                         countOf('redis_timeout_sentinel_sentinels', 'state', 'unreachable') +
                         ' unreachable (agree: they name the same master as the majority). Sentinels that name ' +
                         'another master, or do not answer, weaken the quorum: the next failover may ' +
                         'not happen, and clients that ask a disagreeing sentinel connect to the wrong ' +
                         'master.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskPoolWarning', {
          expr: 'target_cause:redis_timeout_risk:warn{cause="pool"}',
          labels: {
            severity: 'warning',
            cause: 'pool',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: connections near their limit (pool risk {{ printf ' +
                     '"%.2f" $value }})',
            description: 'Pool risk {{ printf "%.2f" $value }} (warn 0.5, critical 0.8): connected_clients ' +
                         "{{ with printf \"redis_timeout_connected_clients{target='%s',instance='%s'}\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | printf "%.0f" ' +
                         '}}{{ else }}unknown{{ end }} of maxclients {{ with printf ' +
                         "\"redis_timeout_maxclients{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | printf "%.0f" }}{{ else ' +
                         '}}unknown{{ end }} {{- range printf ' +
                         "\"redis_timeout_pool_busy_connections{target='%s',instance='%s'} / " +
                         'redis_timeout_pool_size" $labels.target $labels.instance | query }}; pool {{ ' +
                         '.Labels.pool }}: {{ .Value | humanizePercentage }} of its size busy on the ' +
                         'busiest {{- with printf ' +
                         "\"redis_timeout_pool_instances{target='%s',instance='%s',pool='%s'}\" " +
                         '$labels.target $labels.instance .Labels.pool | query }} of {{ . | first | value ' +
                         '| printf "%.0f" }} instance(s){{ end }}{{ end }}. At maxclients Redis refuses ' +
                         'connections; a pool whose connections are all busy all the time makes the ' +
                         "application wait for one (Redis cannot see that wait: check the client's pool " +
                         'wait time); a connection per request (no pool) warns too. /triage names which.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskPoolCritical', {
          expr: 'target_cause:redis_timeout_risk:critical{cause="pool"}',
          labels: {
            severity: 'critical',
            cause: 'pool',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: out of connections (pool risk {{ printf "%.2f" ' +
                     '$value }})',
            description: 'Pool risk {{ printf "%.2f" $value }} (critical 0.8, 1 = refusing now): ' +
                         'connected_clients {{ with printf ' +
                         "\"redis_timeout_connected_clients{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | printf "%.0f" }}{{ else ' +
                         '}}unknown{{ end }} of maxclients {{ with printf ' +
                         "\"redis_timeout_maxclients{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | printf "%.0f" }}{{ else ' +
                         '}}unknown{{ end }} {{- range printf ' +
                         "\"redis_timeout_pool_busy_connections{target='%s',instance='%s'} / " +
                         'redis_timeout_pool_size" $labels.target $labels.instance | query }}; pool {{ ' +
                         '.Labels.pool }}: {{ .Value | humanizePercentage }} of its size busy on the ' +
                         'busiest {{- with printf ' +
                         "\"redis_timeout_pool_instances{target='%s',instance='%s',pool='%s'}\" " +
                         '$labels.target $labels.instance .Labels.pool | query }} of {{ . | first | value ' +
                         '| printf "%.0f" }} instance(s){{ end }}{{ end }}. New connections are about to ' +
                         "be refused or are being refused, or an instance's pool has had every connection " +
                         'busy for the whole window and its requests queue for one.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskPoolConnectionsRejected', {
          expr: |||
            (
              increase(redis_timeout_rejected_connections_total[5m]) > 0
              and on (job, instance, target)
              max_over_time(redis_timeout_risk{cause="pool"}[5m]) >= 1
            )
            or
            sum without (reason) (increase(redis_timeout_connect_refusals_total{reason="max_clients"}[5m])) > 0
          |||,
          labels: {
            severity: 'critical',
            cause: 'pool',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }} is refusing connections at maxclients',
            description: '{{ printf "%.0f" $value }} connection(s) to {{ $labels.target }} were refused ' +
                         'with "max number of clients reached" in the last 5 minutes. Every one is a ' +
                         'client that failed to connect.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskNetworkWarning', {
          expr: 'target_cause:redis_timeout_risk:warn{cause="network"}',
          labels: {
            severity: 'warning',
            cause: 'network',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: round trips slow (network risk {{ printf "%.2f" ' +
                     '$value }})',
            description: 'Network risk {{ printf "%.2f" $value }} (warn 0.5, critical 0.8): PING p50 {{ ' +
                         'with printf ' +
                         "\"redis_timeout_ping_rtt_window_seconds{target='%s',instance='%s',quantile='0.5'}\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | ' +
                         'humanizeDuration }}{{ else }}unknown{{ end }}, p99 {{ with printf ' +
                         "\"redis_timeout_ping_rtt_window_seconds{target='%s',instance='%s',quantile='0.99'}\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | ' +
                         'humanizeDuration }}{{ else }}unknown{{ end }} against a client timeout of {{ ' +
                         "with printf \"redis_timeout_client_timeout_seconds{target='%s',instance='%s'}\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | ' +
                         'humanizeDuration }}{{ else }}unknown{{ end }}; kernel TCP RTT {{ with printf ' +
                         "\"redis_timeout_tcp_rtt_seconds{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | humanizeDuration }}{{ else ' +
                         '}}unknown{{ end }}; ' + pathWitnesses + ' (many times the PING p50: large ' +
                         'packets stall, check the MTU). The path to Redis is slow; slow commands are ' +
                         'already subtracted.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskNetworkCritical', {
          expr: 'target_cause:redis_timeout_risk:critical{cause="network"}',
          labels: {
            severity: 'critical',
            cause: 'network',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: round trips near the client timeout (network risk {{ ' +
                     'printf "%.2f" $value }})',
            description: 'Network risk {{ printf "%.2f" $value }} (critical 0.8, 1 = PINGs timing out): ' +
                         'PING p99 {{ with printf ' +
                         "\"redis_timeout_ping_rtt_window_seconds{target='%s',instance='%s',quantile='0.99'}\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | ' +
                         'humanizeDuration }}{{ else }}unknown{{ end }}, max {{ with printf ' +
                         "\"redis_timeout_ping_rtt_window_seconds{target='%s',instance='%s',quantile='1'}\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | ' +
                         'humanizeDuration }}{{ else }}unknown{{ end }} against a client timeout of {{ ' +
                         "with printf \"redis_timeout_client_timeout_seconds{target='%s',instance='%s'}\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | ' +
                         'humanizeDuration }}{{ else }}unknown{{ end }}, not explained by slow commands; ' +
                         pathWitnesses + '. Application calls are timing out or about to.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskNetworkPingFailures', {
          expr: |||
            (
              increase(redis_timeout_ping_failures_total[1m]) > 0
              unless ignoring(cause)
              target_cause:redis_timeout_risk:warn{cause="slowlog"}
            )
            unless
            redis_timeout_target_up == 0
          |||,
          labels: {
            severity: 'critical',
            cause: 'network',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: PINGs are timing out',
            description: '{{ printf "%.0f" $value }} PING probe(s) to {{ $labels.target }} got no reply ' +
                         'within the client timeout of {{ with printf ' +
                         "\"redis_timeout_client_timeout_seconds{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | humanizeDuration }}{{ else ' +
                         "}}unknown{{ end }} in the last minute, while the server's own evidence (slowlog, " +
                         'commandstats, latency monitor, fork time) shows nothing that blocked Redis that ' +
                         'long: calls of the application with that timeout fail the same way.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskMemoryWarning', {
          expr: 'target_cause:redis_timeout_risk:warn{cause="memory"}',
          labels: {
            severity: 'warning',
            cause: 'memory',
          },
          annotations: {
            summary: "Redis {{ $labels.target }}: memory near its limit (memory risk {{ printf \"%.2f\" $value }})",
            description: "Memory risk {{ printf \"%.2f\" $value }} (warn 0.5, critical 0.8): used_memory {{ with printf \"redis_timeout_memory_used_bytes{target='%s',instance='%s'}\" $labels.target $labels.instance | query }}{{ . | first | value | humanize1024 }}B{{ else }}unknown{{ end }} {{ with printf \"redis_timeout_memory_limit_bytes{target='%s',instance='%s'}\" $labels.target $labels.instance | query }}of its memory limit {{ . | first | value | humanize1024 }}B{{ else }}of an unknown memory limit{{ end }} ({{ with printf \"redis_timeout_memory_limit_info{target='%s',instance='%s'}\" $labels.target $labels.instance | query }}{{ (. | first).Labels.source }}{{ else }}source unknown{{ end }}), policy {{ with printf \"redis_timeout_maxmemory_policy_info{target='%s',instance='%s'}\" $labels.target $labels.instance | query }}{{ (. | first).Labels.policy }}{{ else }}unknown{{ end }}. At a maxmemory limit a Redis that cannot evict refuses writes with OOM; at a cgroup or system limit the kernel's OOM killer ends it.",
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskMemoryFillingUp', {
          expr: |||
            predict_linear(redis_timeout_memory_used_bytes[30m], 3600)
              / (redis_timeout_maxmemory_bytes > 0)
              >= 1
            and ignoring(policy)
            redis_timeout_maxmemory_policy_info{policy="noeviction"}
          |||,
          labels: {
            severity: 'warning',
            cause: 'memory',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: memory will reach maxmemory within an hour ' +
                     '(noeviction)',
            description: 'At the growth rate of the last 30 minutes, used_memory of {{ $labels.target }} ' +
                         'reaches {{ $value | humanizePercentage }} of maxmemory in one hour (now {{ with ' +
                         "printf \"redis_timeout_memory_used_bytes{target='%s',instance='%s'}\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | humanize1024 ' +
                         '}}B{{ else }}unknown{{ end }} of {{ with printf ' +
                         "\"redis_timeout_maxmemory_bytes{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | humanize1024 }}B{{ else ' +
                         '}}unknown{{ end }}). Under noeviction every write fails with OOM from then on.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskMemoryCritical', {
          expr: 'target_cause:redis_timeout_risk:critical{cause="memory"}',
          labels: {
            severity: 'critical',
            cause: 'memory',
          },
          annotations: {
            summary: "Redis {{ $labels.target }}: memory full, writes about to fail (memory risk {{ printf \"%.2f\" $value }})",
            description: "Memory risk {{ printf \"%.2f\" $value }} (critical 0.8, 1 = OOM errors now): used_memory {{ with printf \"redis_timeout_memory_used_bytes{target='%s',instance='%s'}\" $labels.target $labels.instance | query }}{{ . | first | value | humanize1024 }}B{{ else }}unknown{{ end }} {{ with printf \"redis_timeout_memory_limit_bytes{target='%s',instance='%s'}\" $labels.target $labels.instance | query }}of its memory limit {{ . | first | value | humanize1024 }}B{{ else }}of an unknown memory limit{{ end }} ({{ with printf \"redis_timeout_memory_limit_info{target='%s',instance='%s'}\" $labels.target $labels.instance | query }}{{ (. | first).Labels.source }}{{ else }}source unknown{{ end }}), policy {{ with printf \"redis_timeout_maxmemory_policy_info{target='%s',instance='%s'}\" $labels.target $labels.instance | query }}{{ (. | first).Labels.policy }}{{ else }}unknown{{ end }}. Writes are about to be refused with OOM (maxmemory), or the kernel is about to kill Redis (cgroup, system), or OOM errors are happening now.",
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskMemoryOOMErrors', {
          expr: 'increase(redis_timeout_oom_errors_total[5m]) > 0',
          labels: {
            severity: 'critical',
            cause: 'memory',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }} is refusing writes with OOM',
            description: '{{ printf "%.0f" $value }} command(s) on {{ $labels.target }} were refused with ' +
                         "\"OOM command not allowed when used memory > 'maxmemory'\" in the last 5 minutes " +
                         '(policy {{ with printf ' +
                         "\"redis_timeout_maxmemory_policy_info{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ (. | first).Labels.policy }}{{ else }}unknown{{ ' +
                         'end }}). Writes are failing now.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskSlowlogWarning', {
          expr: 'target_cause:redis_timeout_risk:warn{cause="slowlog"}',
          labels: {
            severity: 'warning',
            cause: 'slowlog',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: the event loop is blocked (slowlog risk {{ printf ' +
                     '"%.2f" $value }})',
            description: 'Slowlog risk {{ printf "%.2f" $value }} (warn 0.5, critical 0.8): slow commands, ' +
                         'a busy script, a fork or AOF fsync block the event loop. Redis spent {{ with ' +
                         'printf ' +
                         "\"rate(redis_timeout_command_time_seconds_total{target='%s',instance='%s'}[5m])\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | ' +
                         'humanizePercentage }}{{ else }}an unknown share{{ end }} of the last 5 minutes ' +
                         'executing commands (commandstats, seen even with SLOWLOG off); the latest fork ' +
                         'took {{ with printf ' +
                         "\"redis_timeout_fork_duration_seconds{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | humanizeDuration }}{{ else ' +
                         '}}unknown{{ end }}. New slowlog entries in the last 5 minutes by command: {{- $s ' +
                         ":= printf \"redis_timeout_slowlog_entries_total{target='%s',instance='%s'}\" " +
                         '$labels.target $labels.instance }} {{- range printf "topk(5, sum by (command) ' +
                         '((increase(%s[5m]) and %s offset 5m) or (%s unless %s offset 5m)) > 0)" $s $s $s ' +
                         '$s | query }} {{ .Labels.command }} {{ printf "%.0f" .Value }}{{ else }} none{{ ' +
                         'end }}. While one of them runs every other client waits.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskSlowlogCritical', {
          expr: 'target_cause:redis_timeout_risk:critical{cause="slowlog"}',
          labels: {
            severity: 'critical',
            cause: 'slowlog',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: a blocked event loop causes timeouts (slowlog risk ' +
                     '{{ printf "%.2f" $value }})',
            description: 'Slowlog risk {{ printf "%.2f" $value }} (critical 0.8): the event loop was ' +
                         'blocked for at least half the client timeout of {{ with printf ' +
                         "\"redis_timeout_client_timeout_seconds{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | humanizeDuration }}{{ else ' +
                         '}}unknown{{ end }} (a slow command, a busy script, a fork, AOF fsync), or slow ' +
                         'commands took a quarter of the time. Redis spent {{ with printf ' +
                         "\"rate(redis_timeout_command_time_seconds_total{target='%s',instance='%s'}[5m])\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | ' +
                         'humanizePercentage }}{{ else }}an unknown share{{ end }} of the last 5 minutes ' +
                         'executing commands (commandstats, seen even with SLOWLOG off); the latest fork ' +
                         'took {{ with printf ' +
                         "\"redis_timeout_fork_duration_seconds{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | humanizeDuration }}{{ else ' +
                         '}}unknown{{ end }}. New slowlog entries in the last 5 minutes by command: {{- $s ' +
                         ":= printf \"redis_timeout_slowlog_entries_total{target='%s',instance='%s'}\" " +
                         '$labels.target $labels.instance }} {{- range printf "topk(5, sum by (command) ' +
                         '((increase(%s[5m]) and %s offset 5m) or (%s unless %s offset 5m)) > 0)" $s $s $s ' +
                         '$s | query }} {{ .Labels.command }} {{ printf "%.0f" .Value }}{{ else }} none{{ ' +
                         'end }}.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskBacklogWarning', {
          expr: 'target_cause:redis_timeout_risk:warn{cause="backlog"}',
          labels: {
            severity: 'warning',
            cause: 'backlog',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: accept queue filling up (backlog risk {{ printf ' +
                     '"%.2f" $value }})',
            description: 'Backlog risk {{ printf "%.2f" $value }} (warn 0.5, critical 0.8): the accept ' +
                         'queue of {{ $labels.target }} filled past the warn share of its maximum of {{ ' +
                         "with printf \"redis_timeout_listen_queue_max{target='%s',instance='%s'}\" " +
                         '$labels.target $labels.instance | query }}{{ . | first | value | printf "%.0f" ' +
                         '}}{{ else }}unknown{{ end }} (tcp-backlog {{ with printf ' +
                         "\"redis_timeout_tcp_backlog{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | printf "%.0f" }}{{ else ' +
                         '}}unknown{{ end }}, somaxconn {{ with printf ' +
                         "\"redis_timeout_kernel_somaxconn{instance='%s'}\" $labels.instance | query }}{{ . " +
                         '| first | value | printf "%.0f" }}{{ else }}unknown{{ end }}), or that maximum ' +
                         'is below the expected connection burst. A larger burst will be dropped by the ' +
                         'kernel.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskBacklogCritical', {
          expr: 'target_cause:redis_timeout_risk:critical{cause="backlog"}',
          labels: {
            severity: 'critical',
            cause: 'backlog',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: accept queue full (backlog risk {{ printf "%.2f" ' +
                     '$value }})',
            description: 'Backlog risk {{ printf "%.2f" $value }} (critical 0.8, 1 = overflowing): the ' +
                         'accept queue of {{ $labels.target }} reached its maximum of {{ with printf ' +
                         "\"redis_timeout_listen_queue_max{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | printf "%.0f" }}{{ else ' +
                         '}}unknown{{ end }} (tcp-backlog {{ with printf ' +
                         "\"redis_timeout_tcp_backlog{target='%s',instance='%s'}\" $labels.target " +
                         '$labels.instance | query }}{{ . | first | value | printf "%.0f" }}{{ else ' +
                         '}}unknown{{ end }}, somaxconn {{ with printf ' +
                         "\"redis_timeout_kernel_somaxconn{instance='%s'}\" $labels.instance | query }}{{ . " +
                         '| first | value | printf "%.0f" }}{{ else }}unknown{{ end }}). New connections ' +
                         'wait for a SYN retransmit (1 s, then 3 s) or time out.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
        alert('RedisTimeoutRiskBacklogListenOverflows', {
          expr: |||
            (redis_timeout_risk{cause="backlog"} >= 1)
            * on(job, instance) group_left()
            (increase(redis_timeout_kernel_listen_overflows_total[5m]) > 0)
          |||,
          labels: {
            severity: 'critical',
            cause: 'backlog',
          },
          annotations: {
            summary: 'Redis {{ $labels.target }}: the kernel is dropping its new connections',
            description: 'The listen queue of {{ $labels.target }} overflowed: the host counted {{ printf ' +
                         '"%.0f" $value }} ListenOverflows in the last 5 minutes, and the exporter ' +
                         'attributes them to this target. Those connections were dropped before Redis saw ' +
                         'them; their clients retry after 1 s, then 3 s, or time out.',
            triage_url: 'http://{{ $labels.instance }}/triage',
          },
        }),
      ],
    }],
  },
}
