// Classical solve (no model) of a pattern, timed: bench_solve PATTERN FORMULA [TIME_BUDGET_S] [OUT_DIR]
// Defaults to the bundled MnO example. Prints the ranked table and the wall time.
#include <iostream>

#include "pxrd/error.hpp"
#include "pxrd/formats.hpp"
#include "pxrd/solve.hpp"

int main(int argc, char** argv) {
  const std::string pattern_path = argc > 1 ? argv[1] : std::string(PXRD_SOURCE_DIR) + "/resources/examples/MnO.xy";
  pxrd::SolveOptions options;
  options.formula = argc > 2 ? argv[2] : "MnO";
  options.time_budget_s = argc > 3 ? std::stod(argv[3]) : 60;
  try {
    const pxrd::Pattern pattern = pxrd::formats::read_pattern(pattern_path);
    pxrd::CancelToken cancel;
    pxrd::FunctionProgress progress([](double f, const std::string& stage) {
      static std::string last;
      if (stage != last) std::cerr << "[" << int(100 * f) << "%] " << stage << "\n";
      last = stage;
    });
    const pxrd::SolveResult r = pxrd::solve(pattern, options, nullptr, cancel, progress);
    for (const auto& n : r.notes) std::cerr << "note: " << n << "\n";
    for (const auto& c : r.cells)
      std::cout << "cell " << pxrd::crystal_system_name(c.system) << " " << c.origin << " a=" << c.lattice.parameters().a_angstrom
                << " b=" << c.lattice.parameters().b_angstrom << " c=" << c.lattice.parameters().c_angstrom
                << " M20=" << c.m20 << " LeBail Rwp=" << c.lebail_rwp << " zero=" << c.zero_deg << "\n";
    std::cout << pxrd::solve_table(r) << "wall time " << r.wall_time_s << " s\n";
    if (argc > 4) pxrd::write_solve_outputs(r, options, pattern_path, argv[4]);
  } catch (const pxrd::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
