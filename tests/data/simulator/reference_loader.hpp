#pragma once
// Reads pymatgen_reference.txt.xz (written by tools/dev/pymatgen_sim_reference.py): structures and pymatgen's peaks.
// Shared by tests/core/test_simulator_reference.cpp and bench/bench_simulator.cpp; needs no CIF reader.
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "pxrd/crystal.hpp"
#include "pxrd/elements.hpp"

namespace pxrd_sim_ref {

struct RefPeak {
  double two_theta_deg, intensity;
};
struct RefEntry {
  std::string id;
  pxrd::Crystal crystal;
  std::vector<RefPeak> peaks;
};

// Empty when the file cannot be read (xz missing or no file).
inline std::vector<RefEntry> load_reference(const std::string& path) {
  std::vector<RefEntry> out;
  const std::string cmd = "xz -dc '" + path + "' 2>/dev/null";
  std::FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return out;
  std::string text;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) text.append(buf, n);
  pclose(pipe);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string tag;
    ls >> tag;
    if (tag == "S") {
      RefEntry e;
      int index;
      ls >> index >> e.id;
      e.crystal.name = e.id;
      e.crystal.source = e.id;
      out.push_back(std::move(e));
    } else if (out.empty()) {
      continue;
    } else if (tag == "L") {
      Eigen::Matrix3d m;
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) ls >> m(i, j);
      out.back().crystal.lattice = pxrd::Lattice(m);
    } else if (tag == "A") {
      pxrd::Site s;
      ls >> s.element >> s.frac[0] >> s.frac[1] >> s.frac[2] >> s.occupancy;
      s.atomic_number = pxrd::atomic_number(s.element);
      out.back().crystal.sites.push_back(s);
    } else if (tag == "P") {
      RefPeak p;
      ls >> p.two_theta_deg >> p.intensity;
      out.back().peaks.push_back(p);
    }
  }
  return out;
}

}  // namespace pxrd_sim_ref
