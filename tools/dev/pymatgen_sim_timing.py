#!/usr/bin/python3
"""Times pymatgen's XRDCalculator('CuKa').get_pattern on the structures of the simulator benchmark.

The same structures as bench/bench_simulator.cpp: the first N (default 500) rows of
/work/shared/data/mp_20/test.csv.xz. CIF parsing is not timed. Prints wall and CPU (process) time per pattern for
2θ 0–90° (pymatgen's default) and 0–180°. Run with /usr/bin/python3; pymatgen is single-threaded here, so CPU time
is time per core.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pymatgen_sim_reference import load_structures  # noqa: E402

from pymatgen.analysis.diffraction.xrd import XRDCalculator  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/work/shared/data/mp_20/test.csv.xz")
    ap.add_argument("--count", type=int, default=500)
    args = ap.parse_args()
    structures = [s for _, s in load_structures(args.data, args.count)]
    calc = XRDCalculator("CuKa")
    calc.get_pattern(structures[0])  # warm-up
    for lo, hi in ((0, 90), (0, 180)):
        w0, c0 = time.perf_counter(), time.process_time()
        for s in structures:
            calc.get_pattern(s, two_theta_range=(lo, hi))
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        n = len(structures)
        print(f"pymatgen get_pattern 2theta {lo}-{hi}: {n} structures, wall {1e3 * wall / n:.2f} ms/pattern, "
              f"CPU {1e3 * cpu / n:.2f} ms/pattern ({n / cpu:.1f} patterns/s per core)")


if __name__ == "__main__":
    main()
