// A child process started without a shell, with its output captured in files.
#include "subprocess.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "temp_dir.h"

extern char** environ;

namespace rte::testing {
namespace {

std::atomic<int> g_counter{0};

std::string Basename(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string ResolveProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return program;
}

std::vector<std::string> MergedEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& x : extra) {
      if (x.substr(0, x.find('=')) == key) replaced = true;
    }
    if (!replaced) merged.push_back(entry);
  }
  merged.insert(merged.end(), extra.begin(), extra.end());
  return merged;
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Subprocess::Subprocess(std::vector<std::string> argv, const std::string& output_dir,
                       std::vector<std::string> env)
    : argv_(std::move(argv)) {
  if (argv_.empty()) throw std::invalid_argument("Subprocess: empty argv");
  const std::string stem =
      output_dir + "/" + Basename(argv_[0]) + "." + std::to_string(g_counter.fetch_add(1));
  stdout_path_ = stem + ".stdout";
  stderr_path_ = stem + ".stderr";

  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  const std::string program = ResolveProgram(argv_[0]);
  std::vector<char*> c_argv;
  for (auto& a : argv_) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::vector<std::string> env_strings = MergedEnvironment(env);
  std::vector<char*> c_env;
  for (auto& e : env_strings) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  int out_fd = open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int exec_pipe[2] = {-1, -1};  // the child reports a failed exec through it
  if (out_fd < 0 || err_fd < 0 || pipe2(exec_pipe, O_CLOEXEC) != 0) {
    int saved = errno;
    if (out_fd >= 0) close(out_fd);
    if (err_fd >= 0) close(err_fd);
    throw std::runtime_error("Subprocess: cannot open output files in " + output_dir + ": " +
                             std::strerror(saved));
  }
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    int saved = errno;
    close(out_fd);
    close(err_fd);
    close(exec_pipe[0]);
    close(exec_pipe[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(saved));
  }
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    // Sockets and files the test holds must not leak into the child.
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(program.c_str(), c_argv.data(), c_env.data());
    int err = errno;
    ssize_t ignored = write(exec_pipe[1], &err, sizeof(err));
    (void)ignored;
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  close(exec_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(exec_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    waitpid(pid_, nullptr, 0);
    exit_code_ = 127;
    throw std::runtime_error("cannot execute " + program + ": " + std::strerror(child_errno));
  }
}

Subprocess::~Subprocess() { Stop(); }

void Subprocess::Signal(int signal) {
  if (exit_code_.has_value() || pid_ <= 0) return;
  kill(pid_, signal);
}

bool Subprocess::Running() { return !Wait(std::chrono::milliseconds(0)).has_value(); }

std::optional<int> Subprocess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_.has_value()) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = DecodeStatus(status);
      return exit_code_;
    }
    if (r < 0 && errno != EINTR) {
      exit_code_ = -1;  // not our child any more; nothing left to wait for
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int Subprocess::Stop() {
  if (exit_code_.has_value()) return *exit_code_;
  Signal(SIGTERM);
  Signal(SIGCONT);
  if (auto code = Wait(std::chrono::seconds(5))) return *code;
  Signal(SIGKILL);
  auto code = Wait(std::chrono::seconds(5));
  return code.value_or(-1);
}

std::string Subprocess::ReadStdout() const { return ReadFile(stdout_path_); }
std::string Subprocess::ReadStderr() const { return ReadFile(stderr_path_); }

}  // namespace rte::testing
