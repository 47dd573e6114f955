#pragma once
// Subcommands of pxrd-diff. Each lives in its own cmd_*.cpp and registers itself with PXRD_COMMAND.
// A command receives its arguments (after the subcommand name) and returns the exit code.
// Exit codes: 0 success, 1 failure of the job, 2 bad input (InputError), 130 cancelled.
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace pxrd {
class CancelToken;
}

namespace pxrd::cli {

struct Command {
  std::string name;
  std::string summary;  // one line for `pxrd-diff --help`
  std::function<int(const std::vector<std::string>&)> run;
};

std::map<std::string, Command>& registry();

struct Registrar {
  Registrar(std::string name, std::string summary, std::function<int(const std::vector<std::string>&)> run) {
    registry()[name] = Command{name, std::move(summary), std::move(run)};
  }
};

// Small argument helper shared by the commands: options "--name value", flags "--name", positionals.
class Args {
 public:
  Args(const std::vector<std::string>& argv, const std::vector<std::string>& flags_without_value);
  bool has(const std::string& option) const;
  // The value of --option; throws InputError if it is missing and no fallback is given.
  std::string get(const std::string& option) const;
  std::string get(const std::string& option, const std::string& fallback) const;
  double get_double(const std::string& option, double fallback) const;
  long get_int(const std::string& option, long fallback) const;
  // All values that follow --option up to the next option (for "--two-theta MIN MAX STEP").
  std::vector<std::string> get_list(const std::string& option) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // Throws InputError if an option that is not in `known` was given.
  void check_known(const std::vector<std::string>& known) const;

 private:
  std::map<std::string, std::vector<std::string>> options_;
  std::vector<std::string> positionals_;
};

double parse_double(const std::string& text, const std::string& what);

// The model weights used when none are given: $PXRD_DIFF_MODEL, else the installed
// <prefix>/share/pxrd-diff/model/weights.pt, else the repository's models/weights/mp20_flow.pt next to a build tree
// (<repo>/<build>/bin/pxrd-diff). Returns the last candidate even if it does not exist, so errors can name it.
std::string default_model_weights_path();

// Installs SIGINT/SIGTERM handlers that cancel `token` (the job then stops cleanly and keeps its results).
// `token` must outlive the command.
void cancel_on_signals(::pxrd::CancelToken& token);
// Forgets the token (before it goes out of scope); a later signal then does nothing.
void release_cancel_on_signals();

}  // namespace pxrd::cli

#define PXRD_CLI_CONCAT2(a, b) a##b
#define PXRD_CLI_CONCAT(a, b) PXRD_CLI_CONCAT2(a, b)
#define PXRD_COMMAND(name, summary, fn) \
  static ::pxrd::cli::Registrar PXRD_CLI_CONCAT(pxrd_cli_registrar_, __LINE__)(name, summary, fn)
