#!/usr/bin/python3
"""Least-squares volume per atom of each element, V_cell = sum_el n_el * v_el, fitted on MP-20 train + val
(never test). Prints the C++ table used by core/src/solve.cpp to rank the formula units per cell (Z).
Usage: /usr/bin/python3 tools/dev/fit_element_volumes.py ../shared/data/mp_20"""
import csv, lzma, re, sys
import numpy as np

rows, vols = [], []
symbols = {}
for name in ("train_partial.csv.xz", "train_canonical_subset.csv.xz", "val.csv.xz"):
    with lzma.open(f"{sys.argv[1]}/{name}", "rt") as f:
        r = csv.reader(f)
        header = next(r)
        col = header.index("output") if "output" in header else header.index("cif")
        for row in r:
            cif = row[col]
            v = re.search(r"_cell_volume\s+([0-9.]+)", cif)
            s = re.search(r"_chemical_formula_sum\s+'?([^'\n]+)'?", cif)
            if not v or not s:
                continue
            counts = {}
            for el, n in re.findall(r"([A-Z][a-z]?)([0-9.]*)", s.group(1)):
                counts[el] = counts.get(el, 0) + (float(n) if n else 1.0)
                symbols.setdefault(el, len(symbols))
            rows.append(counts)
            vols.append(float(v.group(1)))
a = np.zeros((len(rows), len(symbols)))
for i, c in enumerate(rows):
    for el, n in c.items():
        a[i, symbols[el]] = n
b = np.array(vols)
# Relative errors matter (Z is chosen on a log scale): weight each row by 1/V.
w = 1.0 / b
x, *_ = np.linalg.lstsq(a * w[:, None], b * w, rcond=None)
pred = a @ x
err = np.abs(np.log(pred / b))
print(f"// {len(rows)} crystals, median |ln(V_pred/V)| = {np.median(err):.3f}, 90th percentile {np.percentile(err, 90):.3f}")
for el in sorted(symbols, key=lambda e: symbols[e]):
    print(f'{{"{el}", {max(x[symbols[el]], 2.0):.2f}}},')
