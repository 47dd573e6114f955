#include "cli.hpp"

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "pxrd/cancel.hpp"
#include "pxrd/error.hpp"

namespace pxrd::cli {

std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> commands;
  return commands;
}

Args::Args(const std::vector<std::string>& argv, const std::vector<std::string>& flags_without_value) {
  auto is_flag = [&](const std::string& s) {
    for (const auto& f : flags_without_value)
      if (f == s) return true;
    return false;
  };
  auto looks_like_option = [](const std::string& s) {
    // "-0.5" is a number, not an option.
    if (s.size() < 2 || s[0] != '-') return false;
    return !(std::isdigit(static_cast<unsigned char>(s[1])) || s[1] == '.');
  };
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (looks_like_option(a)) {
      std::string name = a;
      std::string inline_value;
      const auto eq = a.find('=');
      const bool has_inline = a.rfind("--", 0) == 0 && eq != std::string::npos;
      if (has_inline) {
        name = a.substr(0, eq);
        inline_value = a.substr(eq + 1);
      }
      auto& values = options_[name];
      if (has_inline) {
        values.push_back(inline_value);
      } else if (!is_flag(name)) {
        while (i + 1 < argv.size() && !looks_like_option(argv[i + 1])) {
          values.push_back(argv[++i]);
          // Options take one value unless they are list options; extra values become positionals later.
        }
      }
    } else {
      positionals_.push_back(a);
    }
  }
}

bool Args::has(const std::string& option) const { return options_.count(option) > 0; }

std::string Args::get(const std::string& option) const {
  auto it = options_.find(option);
  if (it == options_.end() || it->second.empty()) throw InputError(option, 0, "this option needs a value");
  return it->second.front();
}

std::string Args::get(const std::string& option, const std::string& fallback) const {
  return has(option) ? get(option) : fallback;
}

double Args::get_double(const std::string& option, double fallback) const {
  return has(option) ? parse_double(get(option), option) : fallback;
}

long Args::get_int(const std::string& option, long fallback) const {
  if (!has(option)) return fallback;
  const double v = parse_double(get(option), option);
  if (v != std::floor(v)) throw InputError(option, 0, "expected an integer, got '" + get(option) + "'");
  return static_cast<long>(v);
}

std::vector<std::string> Args::get_list(const std::string& option) const {
  auto it = options_.find(option);
  return it == options_.end() ? std::vector<std::string>{} : it->second;
}

void Args::check_known(const std::vector<std::string>& known) const {
  for (const auto& [name, values] : options_) {
    bool ok = false;
    for (const auto& k : known) ok = ok || k == name;
    if (!ok) throw InputError(name, 0, "unknown option (see --help)");
  }
}

double parse_double(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    throw InputError(what, 0, "expected a finite number, got '" + text + "'");
  return v;
}

namespace {
CancelToken* g_signal_cancel = nullptr;
extern "C" void on_cancel_signal(int) {
  if (g_signal_cancel) g_signal_cancel->cancel();  // an atomic store: safe in a signal handler
}
}  // namespace

void cancel_on_signals(CancelToken& token) {
  g_signal_cancel = &token;
  std::signal(SIGINT, on_cancel_signal);
  std::signal(SIGTERM, on_cancel_signal);
}

void release_cancel_on_signals() { g_signal_cancel = nullptr; }

std::string default_model_weights_path() {
  if (const char* env = std::getenv("PXRD_DIFF_MODEL"); env && *env) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "models/weights/mp20_flow.pt";
  const auto installed = exe.parent_path().parent_path() / "share/pxrd-diff/model/weights.pt";
  if (std::filesystem::exists(installed)) return installed.string();
  return (exe.parent_path().parent_path().parent_path() / "models/weights/mp20_flow.pt").string();
}

}  // namespace pxrd::cli
