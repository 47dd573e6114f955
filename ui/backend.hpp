#pragma once
// The one place where the workbench calls the core (readers, processing, simulation, agreement, symmetry).
// Every function is Qt-free, thread-safe and throws pxrd::Error / InputError with context.
#include <string>
#include <vector>

#include "processing_settings.hpp"
#include "pxrd/crystal.hpp"
#include "pxrd/pattern.hpp"
#include "pxrd/simulator.hpp"

namespace pxrd::ui::backend {

// True when the file content looks like a CIF (a data_ block with a cell), whatever its extension.
bool looks_like_cif(const std::string& path);
Pattern load_pattern(const std::string& path);
Crystal load_cif(const std::string& path);

struct Processed {
  Pattern observed;                  // raw y, x in 2θ degrees with the zero shift applied
  Pattern processed;                 // x in 2θ degrees, zero shift applied
  std::vector<double> background;    // on processed.x; empty when no background method is active
};
Processed process(const Pattern& raw, const ProcessingSettings& settings);

// Simulated profile of `crystal` on the x grid of `observed` (2θ), with the sinc² broadening when size > 0.
Pattern simulate_like(const Crystal& crystal, const Radiation& radiation, const Pattern& observed,
                      double size_angstrom);
// Simulated profile on the default 2θ grid 5–90° (step 0.02°), used when a CIF is opened as a pattern.
Pattern simulate_default(const Crystal& crystal, const Radiation& radiation);
std::vector<Reflection> sticks(const Crystal& crystal, const Radiation& radiation, double two_theta_min_deg,
                               double two_theta_max_deg);

struct Agreement {
  double rwp = 0, rwp2 = 0, s = 0;   // R_wp (weighted, with scale), PXRDNet R_wp², goodness of fit
  double scale = 1;                  // c in y_calc·c ≈ y_obs
};
Agreement agreement(const Pattern& observed, const Pattern& calculated);

struct SpaceGroupInfo {
  std::string symbol;  // Hermann–Mauguin, "" when unknown
  int number = 0;
};
SpaceGroupInfo space_group(const Crystal& crystal, double symprec = 0.01);

// Pattern/Crystal summaries for tables and titles.
std::string cell_summary(const Crystal& crystal);  // "a b c / α β γ"

}  // namespace pxrd::ui::backend
