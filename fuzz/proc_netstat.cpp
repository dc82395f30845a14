// /proc/net/netstat and /proc/net/snmp text.
#include "parse/proc_netstat.h"

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  (void)rte::ParseProcNetstat(rte::fuzz::Text(data, size));
  return 0;
}
