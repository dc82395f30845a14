// The /triage page: one card per target with its five causes ranked and coloured, the
// evidence and the fix under each. Server-rendered HTML from the latest reports; no Redis I/O.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "derive/target_report.h"

namespace rte {

// `now_wall` (Unix seconds) is used to say how old each target's data is.
std::string RenderTriagePage(const std::vector<std::shared_ptr<const TargetReport>>& reports,
                             double now_wall);

}  // namespace rte
