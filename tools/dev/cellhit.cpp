// Dev diagnostic: is the true cell among the cells a solve tried? For each cell in a solve's summary.json it prints
// the Niggli-reduced primitive cell and marks the first within 5 % of the truth's in every length and the volume.
// Build: g++ -O2 -std=c++17 -Icore -isystem /usr/include/eigen3 tools/dev/cellhit.cpp build/core/libpxrd_core.a \
//          $(pkg-config --libs spglib) -lpthread -o cellhit
// Use:   cellhit truth.cif DIR/summary.json   (last line: HIT <index of the first true cell, -1: none> of <cells>)
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include "pxrd/cif.hpp"
#include "pxrd/centring.hpp"
#include "pxrd/symmetry.hpp"
using namespace pxrd;
int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: cellhit truth.cif DIR/summary.json\n");
    return 2;
  }
  Crystal t = primitive_standard_cell(read_cif(argv[1]));
  Lattice tl = t.lattice.niggli_reduced(1e-3);
  std::ifstream f(argv[2]); std::stringstream ss; ss << f.rdbuf(); std::string s = ss.str();
  std::regex re("\"origin\": \"([^\"]*)\", \"system\": \"([^\"]*)\", \"centring\": \"(.)\".*?\"lebail_rwp\": ([0-9.e-]+).*?\"model_z\": ([0-9]+), \"cell\": \\{\"a\": ([0-9.]+), \"b\": ([0-9.]+), \"c\": ([0-9.]+), \"alpha\": ([0-9.]+), \"beta\": ([0-9.]+), \"gamma\": ([0-9.]+)");
  auto tp = tl.parameters();
  printf("truth prim %.3f %.3f %.3f %.1f %.1f %.1f V %.1f n %zu\n", tp.a_angstrom, tp.b_angstrom, tp.c_angstrom, tp.alpha_deg, tp.beta_deg, tp.gamma_deg, tl.volume_angstrom3(), t.sites.size());
  int i = 0, hit = -1;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it, ++i) {
    const auto& m = *it;
    Lattice L = Lattice::from_parameters(std::stod(m[6]), std::stod(m[7]), std::stod(m[8]), std::stod(m[9]), std::stod(m[10]), std::stod(m[11]));
    Lattice P = primitive_lattice(L, with_niggli_primitive(L, centring_from_symbol(m[3]))).niggli_reduced(1e-3);
    auto p = P.parameters();
    const double dv = std::abs(P.volume_angstrom3() / tl.volume_angstrom3() - 1);
    bool ok = dv < 0.05 && std::abs(p.a_angstrom / tp.a_angstrom - 1) < 0.05 && std::abs(p.b_angstrom / tp.b_angstrom - 1) < 0.05 && std::abs(p.c_angstrom / tp.c_angstrom - 1) < 0.05;
    printf("  %d %-32s %-12s %s lb %.4f mz %s prim %.3f %.3f %.3f V %.1f (x%.2f)%s\n", i, m[1].str().c_str(), m[2].str().c_str(), m[3].str().c_str(), std::stod(m[4]), m[5].str().c_str(), p.a_angstrom, p.b_angstrom, p.c_angstrom, P.volume_angstrom3(), P.volume_angstrom3() / tl.volume_angstrom3(), ok ? "  <== TRUE CELL" : "");
    if (ok && hit < 0) hit = i;
  }
  printf("HIT %d of %d\n", hit, i);
}
