// The triage command's output: per target, the five causes ranked with evidence and fixes,
// as text for a person or JSON for a machine, and the exit code that sums it up.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "derive/target_report.h"

namespace rte {

struct TriageResult {
  std::vector<std::shared_ptr<const TargetReport>> reports;
  std::vector<std::string> never_reached;  // targets no poll reached during the run
  double duration_seconds = 0;
  double generated_at = 0;  // Unix seconds
};

// 0 every cause below warn, 1 some cause at warn, 2 some cause critical, 3 a target could not
// be reached at all.
int TriageExitCode(const TriageResult& result);
std::string RenderTriageText(const TriageResult& result);
std::string RenderTriageJson(const TriageResult& result);

}  // namespace rte
