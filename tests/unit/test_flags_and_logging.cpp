// The command line (both flag forms, the errors users see) and JSON log lines.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/flags.h"
#include "app/logging.h"

using namespace rte;

namespace {

FlagSet Flags() {
  return FlagSet({{"config.file", "PATH", "YAML config", "/etc/x.yaml"},
                  {"log.level", "LEVEL", "level", "info"},
                  {"config.check", "", "check and exit", {}}});
}

Status Parse(FlagSet& flags, std::vector<std::string> args) {
  std::vector<char*> argv = {const_cast<char*>("prog")};
  for (auto& a : args) argv.push_back(a.data());
  return flags.Parse(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("flags take --name=value and --name value", "[flags]") {
  FlagSet eq = Flags();
  REQUIRE(Parse(eq, {"--config.file=/a.yaml", "--log.level=debug"}).ok());
  CHECK(eq.Get("config.file") == "/a.yaml");
  CHECK(eq.Get("log.level") == "debug");
  FlagSet spaced = Flags();
  REQUIRE(
      Parse(spaced, {"--config.file", "/a.yaml", "--config.check", "--log.level", "warn"}).ok());
  CHECK(spaced.Get("config.file") == "/a.yaml");
  CHECK(spaced.Has("config.check"));
  CHECK(spaced.Get("log.level") == "warn");
  FlagSet defaults = Flags();
  REQUIRE(Parse(defaults, {}).ok());
  CHECK(defaults.Get("config.file") == "/etc/x.yaml");
  CHECK_FALSE(defaults.Has("config.file"));
  CHECK_FALSE(defaults.Has("config.check"));
  FlagSet value_with_equals = Flags();
  REQUIRE(Parse(value_with_equals, {"--config.file=/a=b.yaml"}).ok());
  CHECK(value_with_equals.Get("config.file") == "/a=b.yaml");
  FlagSet off = Flags();
  REQUIRE(Parse(off, {"--config.check=true", "--config.check=false"}).ok());
  CHECK_FALSE(off.Has("config.check"));
  FlagSet help = Flags();
  REQUIRE(Parse(help, {"-h", "--version"}).ok());
  CHECK(help.help());
  CHECK(help.version());
}

TEST_CASE("flag errors say what is wrong", "[flags]") {
  const auto [args, message] = GENERATE(table<std::vector<std::string>, std::string>({
      {{"--bogus"}, "unknown flag --bogus"},
      {{"--bogus=1"}, "unknown flag --bogus"},
      {{"--bogus", "value"}, "unknown flag --bogus"},
      {{"--config.file"}, "flag --config.file needs a value"},
      {{"--config.check=yes"}, "flag --config.check takes no value (or =true, =false)"},
      {{"stray"}, "unexpected argument 'stray'"},
      {{"--"}, "unexpected argument '--'"},
  }));
  FlagSet flags = Flags();
  const Status s = Parse(flags, args);
  CHECK_FALSE(s.ok());
  CHECK(s.message() == message);
}

TEST_CASE("--help lists every flag with its default", "[flags]") {
  const std::string text = Flags().Describe();
  CHECK(text ==
        "  --config.file=PATH  YAML config (default /etc/x.yaml)\n"
        "  --log.level=LEVEL   level (default info)\n"
        "  --config.check      check and exit\n"
        "  -h, --help          print this help and exit\n"
        "  --version           print the version and exit\n");
}

TEST_CASE("log flags are checked", "[flags]") {
  CHECK(CheckLogFlags("info", "logfmt").ok());
  CHECK(CheckLogFlags("debug", "json").ok());
  CHECK(CheckLogFlags("verbose", "logfmt").message() ==
        "--log.level must be debug, info, warn or error");
  CHECK(CheckLogFlags("info", "xml").message() == "--log.format must be logfmt or json");
}

TEST_CASE("JSON log lines carry the logfmt fields, and stay JSON for anything else", "[flags]") {
  const auto line = [](const std::string& message) {
    const std::string text = LogLineJson("2026-11-30T07:00:00.000Z", "info", message);
    INFO(text);
    auto parsed = nlohmann::ordered_json::parse(text, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    CHECK(text.find('\n') == std::string::npos);
    return parsed;
  };
  const auto fields = line(
      "event=poll_failed target=cache-1 stage=timeout error=\"no reply within 1s: \\\"x\\\"\"");
  CHECK(fields["ts"] == "2026-11-30T07:00:00.000Z");
  CHECK(fields["level"] == "info");
  CHECK(fields["event"] == "poll_failed");
  CHECK(fields["target"] == "cache-1");
  CHECK(fields["error"] == "no reply within 1s: \"x\"");
  CHECK(fields.begin().key() == "ts");  // ts, level, then the fields in order

  for (const std::string& odd :
       {std::string("not logfmt at all"), std::string("event=x error=\"unterminated"),
        std::string("a=\"b\"c"), std::string("k=v\"q"), std::string("bad\xff\xfe utf8"),
        std::string("=x")}) {
    const auto parsed = line(odd);
    CHECK(parsed.contains("msg"));
  }
  CHECK(line("")["ts"] == "2026-11-30T07:00:00.000Z");
}
