// `redis-timeout-exporter triage`: samples every target for a few seconds with the daemon's own
// pollers and probes, then prints the causes ranked with evidence and fixes.
#pragma once

namespace rte {

// argv[0] is "triage". Returns the process exit code.
int RunTriage(int argc, char** argv);

}  // namespace rte
