// The /triage page: one card per target with its five causes ranked and coloured, the
// evidence and the fix under each, and why a down target cannot be polled.
#pragma once

#include <string>

#include "exposition/verdict.h"

namespace rte {

// Server-rendered HTML of the verdict; no Redis I/O.
std::string RenderTriagePage(const TriageVerdict& verdict);

}  // namespace rte
