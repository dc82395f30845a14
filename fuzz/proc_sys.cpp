// One /proc/sys integer (somaxconn, tcp_max_syn_backlog, ...).
#include "parse/proc_sys.h"

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  (void)rte::ParseProcSysInteger(rte::fuzz::Text(data, size));
  return 0;
}
