#include "common/small_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/errno_text.h"

namespace rte {
namespace {

constexpr char kNotRegular[] = "not a regular file";

// Closes the descriptor on every path out of ReadSmallFile.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string DescribeBytes(size_t bytes) {
  constexpr size_t kKiB = 1024;
  constexpr size_t kMiB = kKiB * kKiB;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  // stat first, so a device is not even opened (opening some has side effects); fstat after
  // the open, because the path may have been replaced in between.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Result<std::string>::Error(ErrnoText());
  if (!S_ISREG(st.st_mode)) return Result<std::string>::Error(kNotRegular);
  // O_NONBLOCK: should the path become a FIFO after the stat, open() does not wait for a writer.
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) return Result<std::string>::Error(ErrnoText());
  if (::fstat(fd.get(), &st) != 0) return Result<std::string>::Error(ErrnoText());
  if (!S_ISREG(st.st_mode)) return Result<std::string>::Error(kNotRegular);

  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return Result<std::string>::Error(ErrnoText());
    }
    if (static_cast<size_t>(n) > max_bytes - text.size()) {
      return Result<std::string>::Error("larger than " + DescribeBytes(max_bytes));
    }
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace rte
