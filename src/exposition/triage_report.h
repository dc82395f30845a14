// The triage command's output: per target, the five causes ranked with evidence and fixes, and
// why a target could not be polled, as text for a person or JSON for a machine.
#pragma once

#include <string>

#include "exposition/verdict.h"

namespace rte {

std::string RenderTriageText(const TriageVerdict& verdict);
std::string RenderTriageJson(const TriageVerdict& verdict);

}  // namespace rte
