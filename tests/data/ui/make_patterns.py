# Regenerates nacl_cuka.xy: pymatgen's XRDCalculator sticks for NaCl (Cu Kα1 1.540598 Å), Gaussian peaks of
# FWHM 0.08°, a smooth background and Poisson noise with a fixed seed. Run with /usr/bin/python3 (pymatgen).
import numpy as np
from pymatgen.core import Structure
from pymatgen.analysis.diffraction.xrd import XRDCalculator
s = Structure.from_file("nacl.cif")
p = XRDCalculator(wavelength=1.540598).get_pattern(s, two_theta_range=(10, 100))
x = np.arange(10.0, 100.0 + 1e-9, 0.02)
y = np.zeros_like(x)
sigma = 0.08 / 2.3548
for tt, i in zip(p.x, p.y):
    y += 200.0 * i * np.exp(-0.5 * ((x - tt) / sigma) ** 2)
bkg = 300.0 + 2000.0 * np.exp(-x / 12.0)
rng = np.random.default_rng(7)
obs = rng.poisson(y + bkg).astype(float)
with open("nacl_cuka.xy", "w") as f:
    f.write("# sample: NaCl, simulated with pymatgen XRDCalculator + background + Poisson noise (make_patterns.py)\n")
    f.write("# wavelength_angstrom: 1.540598\n")
    for a, b in zip(x, obs):
        f.write(f"{a:.2f} {b:.0f}\n")
