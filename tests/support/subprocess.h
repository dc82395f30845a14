// A child process started without a shell, with its output captured in files.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace rte::testing {

// fork/exec of argv (argv[0] is a path, or a name looked up in PATH). stdout and stderr go to
// `<output_dir>/<name>.<n>.stdout|.stderr`. The child gets PR_SET_PDEATHSIG=SIGKILL, so nothing
// outlives a crashed test run. The destructor calls Stop().
// Exit codes: the exit status, or 128 + signal number when the child died of a signal.
class Subprocess {
 public:
  // `env` entries ("KEY=VALUE") are added to, or replace, this process's environment.
  // Throws std::runtime_error when the program cannot be executed.
  Subprocess(std::vector<std::string> argv, const std::string& output_dir,
             std::vector<std::string> env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }
  // Sends a signal; a no-op once the child has been reaped.
  void Signal(int signal);
  // Waits up to `timeout` for the child to exit; its exit code, or nullopt if it still runs.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // True until the child has exited (reaps it if it has).
  bool Running();
  // SIGTERM (+SIGCONT, in case it is stopped), up to 5 s, then SIGKILL; reaps. Idempotent.
  // Returns the exit code.
  int Stop();

  std::string ReadStdout() const;
  std::string ReadStderr() const;
  const std::string& stdout_path() const { return stdout_path_; }
  const std::string& stderr_path() const { return stderr_path_; }

 private:
  std::vector<std::string> argv_;
  std::string stdout_path_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace rte::testing
