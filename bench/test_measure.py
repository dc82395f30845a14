"""Tests of bench/measure.py: `python3 -m unittest discover -s bench`. The texts are recorded
on Debian 12 (wrk 4.1.0, redis-server 7.0.15, kernel 6.18) on 2026-11-30; WRK_CLOSE_404 has a
socket-error line and a microsecond latency written in, the shapes wrk prints for them."""

import unittest

import measure

WRK_OK = """Running 1s test @ http://127.0.0.1:18765/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    42.03ms   26.58ms 109.32ms   60.40%
    Req/Sec    91.10     25.08   120.00     60.00%
  96 requests in 1.06s, 673.31KB read
Requests/sec:     90.90
Transfer/sec:    637.54KB
"""

WRK_CLOSE_404 = """Running 1s test @ http://127.0.0.1:18765/nonexistent
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   402.90us   33.82ms 131.76ms   54.17%
    Req/Sec   103.70     92.71   313.00     80.00%
  107 requests in 1.06s, 54.34KB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 107
Requests/sec:    100.92
Transfer/sec:     51.25KB
"""

COMMANDSTATS = """# Commandstats\r
cmdstat_slowlog|get:calls=12,usec=96,usec_per_call=8.00,rejected_calls=0,failed_calls=0\r
cmdstat_info:calls=13,usec=2301,usec_per_call=177.00,rejected_calls=0,failed_calls=0\r
cmdstat_ping:calls=60,usec=61,usec_per_call=1.02,rejected_calls=0,failed_calls=0\r
"""

# A command name with a space and a parenthesis, as /proc shows it.
PROC_STAT = ("4242 (redis (x) y) S 1 4242 4242 0 -1 4194560 512 0 0 0 "
             "150 25 0 0 20 0 4 0 123456 9000000 1800 18446744073709551615")

PROC_STATUS = "Name:\tredis-timeout-e\nVmHWM:\t    7168 kB\nVmRSS:\t    7040 kB\nThreads:\t4\n"

METRICS = """# HELP redis_timeout_target_up 1 when the last poll of the target succeeded.
# TYPE redis_timeout_target_up gauge
redis_timeout_target_up{target="a"} 1
redis_timeout_target_up{target="b"} 0
redis_timeout_target_up{target="c"} 1
redis_timeout_ping_rtt_window_seconds{target="a",quantile="0.5"} 0.000226435
redis_timeout_ping_rtt_window_seconds{target="a",quantile="0.99"} 0.000312296
redis_timeout_tcp_rtt_seconds{target="a"} 7.499999999999999e-05
redis_timeout_info{target="a",version="7.0 \\"x\\""} 1
"""


class ParseTest(unittest.TestCase):
    def test_wrk(self):
        cases = [
            (WRK_OK, {"requests_per_second": 90.90, "requests": 96, "errors": 0, "non_2xx": 0},
             0.04203),
            (WRK_CLOSE_404, {"requests_per_second": 100.92, "requests": 107, "errors": 4,
                             "non_2xx": 107}, 0.0004029),
        ]
        for text, want, latency in cases:
            got = measure.parse_wrk(text)
            for key, value in want.items():
                self.assertEqual(got[key], value, key)
            self.assertAlmostEqual(got["latency_avg_seconds"], latency)
        with self.assertRaises(ValueError):
            measure.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")

    def test_commandstats_and_delta(self):
        before = measure.parse_commandstats(COMMANDSTATS)
        self.assertEqual(before["slowlog|get"], (12, 96))
        self.assertEqual(before["info"], (13, 2301))
        after = dict(before, info=(14, 2480), echo=(1, 3))
        self.assertEqual(measure.commandstats_delta(before, after),
                         {"info": (1, 179), "echo": (1, 3)})

    def test_proc(self):
        self.assertEqual(measure.parse_proc_stat_cpu_ticks(PROC_STAT), 175)
        self.assertEqual(measure.parse_proc_status_kib(PROC_STATUS, "VmRSS"), 7040)
        self.assertEqual(measure.parse_proc_status_kib(PROC_STATUS, "Threads"), 4)
        self.assertIsNone(measure.parse_proc_status_kib(PROC_STATUS, "VmSwap"))

    def test_prometheus_text(self):
        samples = measure.parse_prometheus_samples(METRICS)
        self.assertEqual(measure.count_targets_up(samples), 2)
        self.assertAlmostEqual(measure.probe_median_seconds(samples), 0.000226435)
        self.assertIn(("redis_timeout_info", {"target": "a", "version": '7.0 \\"x\\"'}, 1.0),
                      samples)
        self.assertIsNone(measure.probe_median_seconds(samples[:2]))

    def test_poll_failures(self):
        log = ("ts=2026-11-30T07:30:01Z level=warning event=poll_failed target=t0001 "
               "address=127.0.0.1:4000 stage=timeout error=no reply repeats_suppressed=0\n"
               "ts=2026-11-30T07:30:02Z level=warning event=poll_failed target=t0002 "
               "address=127.0.0.1:4000 stage=connect error=refused repeats_suppressed=0\n"
               "ts=2026-11-30T07:30:03Z level=warning event=poll_failed target=t0003 "
               "address=127.0.0.1:4000 stage=timeout error=no reply repeats_suppressed=0\n"
               "ts=2026-11-30T07:30:04Z level=info event=target_recovered target=t0001\n")
        self.assertEqual(measure.count_poll_failures(log), {"timeout": 2, "connect": 1})
        self.assertEqual(measure.count_poll_failures(""), {})

    def test_median(self):
        self.assertIsNone(measure.median([]))
        self.assertEqual(measure.median([3, 1, 2]), 2)
        self.assertEqual(measure.median([4, 1, 2, 3]), 2.5)


if __name__ == "__main__":
    unittest.main()
