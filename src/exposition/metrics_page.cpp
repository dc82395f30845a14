#include "exposition/metrics_page.h"

#include <malloc.h>

#include <sstream>
#include <streambuf>
#include <string>

namespace rte {
namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Passes what is written on to another stream and counts it.
class CountingStreambuf : public std::streambuf {
 public:
  explicit CountingStreambuf(std::ostream& to) : to_(to) {}
  std::size_t count() const { return count_; }

 protected:
  std::streamsize xsputn(const char* data, std::streamsize n) override {
    to_.write(data, n);
    count_ += static_cast<std::size_t>(n);
    return n;
  }
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    to_.put(traits_type::to_char_type(ch));
    ++count_;
    return ch;
  }

 private:
  std::ostream& to_;
  std::size_t count_ = 0;
};

}  // namespace

HttpResponse MetricsPage::Serve() {
  HttpResponse r;
  r.content_type = kContentType;
  // Read before the reports are: a page rendered after it shows at least this version.
  const std::uint64_t version = store_.version();
  if (last_bytes_.load() > kMaxKeptBytes) {
    // Written straight into the response (compressed on the way when asked for): the page is
    // megabytes of text at 1,000 targets.
    {
      std::lock_guard lock(mu_);
      kept_.reset();
    }
    r.write_body = [this](std::ostream& out) {
      WriteMetrics(collector_, out, FamilySet::kStatus);
      CountingStreambuf counted(out);
      std::ostream reports(&counted);
      WriteMetrics(collector_, reports, FamilySet::kReports);
      last_bytes_ = counted.count();
      // glibc keeps what each thread frees in that thread's arena for reuse: the families of
      // this scrape, and the reports the poll thread replaced meanwhile. Hand the free pages
      // back to the kernel after a large page, or RSS keeps every high-water mark.
      malloc_trim(0);
    };
    return r;
  }
  std::ostringstream status;
  WriteMetrics(collector_, status, FamilySet::kStatus);
  r.body = std::move(status).str();
  std::lock_guard lock(mu_);
  if (kept_ == nullptr || kept_version_ != version) {
    std::ostringstream reports;
    WriteMetrics(collector_, reports, FamilySet::kReports);
    kept_ = std::make_shared<const PreparedBody>(std::move(reports).str());
    kept_version_ = version;
    last_bytes_ = kept_->text().size();
  }
  r.tail = kept_;
  return r;
}

}  // namespace rte
