// Certificates for TLS tests, made by the `openssl` command line in a temp dir.
#include "test_pki.h"

#include <crypt.h>

#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "subprocess.h"

namespace rte::testing {
namespace {

// Runs openssl with `args` in `dir` and returns its stdout; throws unless it exits 0.
std::string OpenSsl(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess run(argv, dir);
  const auto code = run.Wait(std::chrono::seconds(60));
  if (code != 0) {
    std::string command;
    for (const auto& a : argv) {
      command += a;
      command += ' ';
    }
    throw std::runtime_error(command + "failed: " + run.ReadStderr());
  }
  return run.ReadStdout();
}

const std::vector<std::string> kEcKey = {"-newkey", "ec", "-pkeyopt",
                                         "ec_paramgen_curve:prime256v1", "-nodes"};

}  // namespace

TestPki::TestPki(const std::string& ca_name) : dir_("rte-pki") {
  ca_ = {dir_.File("ca.pem"), dir_.File("ca.key")};
  std::vector<std::string> args = {"req", "-x509"};
  args.insert(args.end(), kEcKey.begin(), kEcKey.end());
  args.insert(args.end(),
              {"-keyout", ca_.key, "-out", ca_.cert, "-days", "30", "-subj", "/CN=" + ca_name});
  OpenSsl(dir_.path(), args);
}

CertificateFiles TestPki::Issue(const std::string& name, const std::string& san, int days,
                                bool client) const {
  CertificateFiles files{dir_.File(name + ".pem"), dir_.File(name + ".key")};
  const std::string csr = dir_.File(name + ".csr");
  std::vector<std::string> req = {"req"};
  req.insert(req.end(), kEcKey.begin(), kEcKey.end());
  req.insert(req.end(), {"-keyout", files.key, "-out", csr, "-subj", "/CN=" + name});
  OpenSsl(dir_.path(), req);
  std::string extensions = "subjectAltName=" + san + "\n";
  if (client) extensions += "extendedKeyUsage=clientAuth\n";
  const std::string ext_file = dir_.WriteFile(name + ".ext", extensions);
  OpenSsl(dir_.path(),
          {"x509", "-req", "-in", csr, "-CA", ca_.cert, "-CAkey", ca_.key, "-CAcreateserial",
           "-out", files.cert, "-days", std::to_string(days), "-extfile", ext_file});
  return files;
}

std::string BcryptHash(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2y$", 5, nullptr, 0, salt, sizeof(salt)) == nullptr) {
    throw std::runtime_error("crypt_gensalt_rn: no bcrypt in this libcrypt");
  }
  crypt_data data;
  std::memset(&data, 0, sizeof(data));
  const char* hash = crypt_r(password.c_str(), salt, &data);
  if (hash == nullptr || hash[0] == '*') throw std::runtime_error("crypt_r failed");
  return hash;
}

double CertificateNotAfter(const std::string& cert_file) {
  TempDir scratch("rte-pki-read");
  std::string out = OpenSsl(scratch.path(), {"x509", "-in", cert_file, "-noout", "-enddate"});
  // notAfter=Nov 30 07:15:35 2026 GMT
  const auto eq = out.find('=');
  if (eq == std::string::npos) throw std::runtime_error("openssl -enddate: " + out);
  std::tm tm{};
  if (strptime(out.c_str() + eq + 1, "%b %d %H:%M:%S %Y GMT", &tm) == nullptr) {
    throw std::runtime_error("cannot parse notAfter: " + out);
  }
  return static_cast<double>(timegm(&tm));
}

}  // namespace rte::testing
