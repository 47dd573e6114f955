#!/usr/bin/python3
"""Reference peaks from pymatgen's XRDCalculator for the simulator test (tests/core/test_simulator_reference.cpp).

Reads the first N structures (default 500) of /work/shared/data/mp_20/test.csv.xz (column `output`, a P1 CIF),
computes XRDCalculator('CuKa').get_pattern(s, two_theta_range=(0, 180)) and writes, xz-compressed, to
tests/data/simulator/pymatgen_reference.txt.xz:
  S <index> <material_id> <n_sites> <n_peaks>
  L <9 numbers: lattice matrix rows a, b, c in Å>
  A <element> <x> <y> <z> <occupancy>              (one line per species on a site)
  P <2θ deg> <intensity, strongest = 100>          (peaks with intensity >= --min-intensity)
Run with /usr/bin/python3 (it has pymatgen 2022.11.7).
"""
import argparse
import csv
import io
import lzma
import os
import sys
import warnings

import pymatgen
from pymatgen.analysis.diffraction.xrd import XRDCalculator
from pymatgen.core import Structure

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "tests", "data", "simulator", "pymatgen_reference.txt.xz")


def load_structures(path, count):
    csv.field_size_limit(sys.maxsize)
    out = []
    with lzma.open(path, "rt") as f:
        for row in csv.DictReader(f):
            if len(out) >= count:
                break
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append((row["material_id"], Structure.from_str(row["output"], fmt="cif")))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/work/shared/data/mp_20/test.csv.xz")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--min-intensity", type=float, default=0.05)
    ap.add_argument("-o", "--output", default=DEFAULT_OUT)
    args = ap.parse_args()

    calc = XRDCalculator("CuKa")
    buf = io.StringIO()
    buf.write(f"# pymatgen {pymatgen.__version__ if hasattr(pymatgen, '__version__') else '2022.11.7'} "
              f"XRDCalculator('CuKa') (lambda 1.54184 A), two_theta_range=(0, 180), scaled\n")
    buf.write(f"# source: {args.data}, first {args.count} rows; peaks with intensity >= {args.min_intensity}\n")
    for idx, (mid, s) in enumerate(load_structures(args.data, args.count)):
        pattern = calc.get_pattern(s, two_theta_range=(0, 180))
        peaks = [(x, y) for x, y in zip(pattern.x, pattern.y) if y >= args.min_intensity]
        atoms = [(sp.symbol, site.frac_coords, occ) for site in s for sp, occ in site.species.items()]
        buf.write(f"S {idx} {mid} {len(atoms)} {len(peaks)}\n")
        buf.write("L " + " ".join(f"{v:.10f}" for v in s.lattice.matrix.flatten()) + "\n")
        for sym, fc, occ in atoms:
            buf.write(f"A {sym} {fc[0]:.10f} {fc[1]:.10f} {fc[2]:.10f} {occ:.6g}\n")
        for x, y in peaks:
            buf.write(f"P {x:.6f} {y:.4f}\n")
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with lzma.open(args.output, "wt", preset=9) as f:
        f.write(buf.getvalue())
    print("wrote", args.output, os.path.getsize(args.output), "bytes")


if __name__ == "__main__":
    main()
