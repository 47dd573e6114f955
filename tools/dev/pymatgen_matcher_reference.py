#!/usr/bin/python3
"""Reference verdicts of pymatgen's StructureMatcher for tests/core/test_structure_matcher.cpp.

Builds pairs of P1 structures from MP-20 test crystals (perturbed copies with varied noise, lattice strain,
volume scaling, supercells, other cell settings, atom swaps, and different crystals of the same composition) and
records, for each pair and for the tolerance sets (ltol, stol, angle_tol) = (0.3, 0.5, 10) and (0.2, 0.3, 5):
  fit      StructureMatcher(...).fit(s1, s2)              (max-distance criterion, 0/1)
  rms,max  StructureMatcher(...).get_rms_dist(s1, s2)     (-1 -1 when it returns None)
Defaults otherwise (primitive_cell=True, scale=True, attempt_supercell=False).

Run with Debian's python (it has pymatgen 2022.11.7):
  /usr/bin/python3 tools/dev/pymatgen_matcher_reference.py [--csv /work/shared/data/mp_20/test.csv.xz]
      [--out tests/data/matcher/pymatgen_pairs.txt] [--pairs 420] [--seed 2026]

Output format (text, one token list per line):
  pair <index> <kind> <material_id>[,<material_id2>]
  structure <n>                      (twice per pair: s1 then s2)
  lattice <9 numbers: rows a, b, c in Å>
  <Z> <x> <y> <z>                    (n lines, fractional)
  ref <ltol> <stol> <angle_tol> <fit> <rms> <max>   (once per tolerance set)
"""
import argparse
import csv
import lzma
import random
import sys
import warnings
from collections import defaultdict

import numpy as np
import pymatgen
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Lattice, Structure

TOLERANCES = [(0.3, 0.5, 10.0), (0.2, 0.3, 5.0)]


def load_structures(path, limit):
    csv.field_size_limit(1 << 30)
    out = []
    with lzma.open(path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = Structure.from_str(row["output"], fmt="cif")
            out.append((row["material_id"], s))
            if len(out) >= limit:
                break
    return out


def shuffled(s, rng):
    idx = list(range(len(s)))
    rng.shuffle(idx)
    return Structure(s.lattice, [s[i].species for i in idx], [s[i].frac_coords for i in idx])


def noisy(s, sigma, rng):
    cart = s.cart_coords + np.array([[rng.gauss(0, sigma) for _ in range(3)] for _ in range(len(s))])
    return Structure(s.lattice, s.species, cart, coords_are_cartesian=True)


def strained(s, magnitude, rng):
    e = np.array([[rng.uniform(-1, 1) for _ in range(3)] for _ in range(3)]) * magnitude
    e = (e + e.T) / 2
    lat = Lattice(s.lattice.matrix @ (np.eye(3) + e))
    return Structure(lat, s.species, s.frac_coords)


def scaled_volume(s, factor):
    return Structure(Lattice(s.lattice.matrix * factor ** (1 / 3)), s.species, s.frac_coords)


def supercell(s, rng):
    m = rng.choice([[2, 1, 1], [1, 2, 1], [1, 1, 2]])
    t = s.copy()
    t.make_supercell(m)
    return t


def other_setting(s, rng):
    # A random unimodular integer matrix: same lattice and structure, another basis.
    while True:
        u = np.array([[rng.randint(-2, 2) for _ in range(3)] for _ in range(3)])
        if abs(round(np.linalg.det(u))) == 1:
            break
    lat = Lattice(u @ s.lattice.matrix)
    t = Structure(lat, s.species, s.cart_coords, coords_are_cartesian=True, to_unit_cell=True)
    return t


def swapped(s, rng):
    species = [str(sp) for sp in s.species]
    pairs = [(i, j) for i in range(len(s)) for j in range(i + 1, len(s)) if species[i] != species[j]]
    if not pairs:
        return None
    i, j = rng.choice(pairs)
    sp = list(s.species)
    sp[i], sp[j] = sp[j], sp[i]
    return Structure(s.lattice, sp, s.frac_coords)


def write_structure(out, s):
    out.write(f"structure {len(s)}\n")
    m = s.lattice.matrix
    out.write("lattice " + " ".join(f"{x:.10f}" for x in m.reshape(-1)) + "\n")
    for site in s:
        z = site.specie.Z
        f = site.frac_coords
        out.write(f"{z} {f[0]:.10f} {f[1]:.10f} {f[2]:.10f}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default="/work/shared/data/mp_20/test.csv.xz")
    ap.add_argument("--out", default="tests/data/matcher/pymatgen_pairs.txt")
    ap.add_argument("--pairs", type=int, default=420)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    structures = load_structures(args.csv, 9046)
    by_formula = defaultdict(list)
    for mid, s in structures:
        by_formula[s.composition.reduced_formula].append((mid, s))
    polymorph_pairs = [(a, b) for group in by_formula.values() if len(group) > 1
                       for k, a in enumerate(group) for b in group[k + 1:]]
    rng.shuffle(polymorph_pairs)

    kinds = [
        ("identical_shuffled", lambda s: shuffled(s, rng)),
        ("noise_0.02", lambda s: noisy(s, 0.02, rng)),
        ("noise_0.05", lambda s: noisy(s, 0.05, rng)),
        ("noise_0.1", lambda s: noisy(s, 0.1, rng)),
        ("noise_0.2", lambda s: noisy(s, 0.2, rng)),
        ("noise_0.3", lambda s: noisy(s, 0.3, rng)),
        ("noise_0.5", lambda s: noisy(s, 0.5, rng)),
        ("strain_0.03", lambda s: strained(s, 0.03, rng)),
        ("strain_0.1", lambda s: strained(s, 0.1, rng)),
        ("strain_0.2", lambda s: strained(s, 0.2, rng)),
        ("strain_0.35", lambda s: strained(s, 0.35, rng)),
        ("volume_1.2", lambda s: scaled_volume(s, 1.2)),
        ("supercell", lambda s: supercell(s, rng)),
        ("setting", lambda s: shuffled(other_setting(s, rng), rng)),
        ("setting_noise_0.1", lambda s: noisy(other_setting(s, rng), 0.1, rng)),
        ("strain_0.05_noise_0.1", lambda s: noisy(strained(s, 0.05, rng), 0.1, rng)),
        ("swap", lambda s: swapped(s, rng)),
    ]
    n_poly = args.pairs // 8
    n_each = (args.pairs - n_poly) // len(kinds) + 1

    pool = [x for x in structures if len(x[1]) <= 20]
    rng.shuffle(pool)
    pairs = []
    cursor = 0
    for kind, make in kinds:
        made = 0
        while made < n_each:
            mid, s = pool[cursor % len(pool)]
            cursor += 1
            t = make(s)
            if t is None:
                continue
            pairs.append((kind, mid, s, t))
            made += 1
    for (mid_a, a), (mid_b, b) in polymorph_pairs[:n_poly]:
        pairs.append(("same_composition", f"{mid_a},{mid_b}", a, b))

    matchers = {tol: StructureMatcher(ltol=tol[0], stol=tol[1], angle_tol=tol[2]) for tol in TOLERANCES}
    with open(args.out, "w") as out:
        out.write(f"# StructureMatcher reference, pymatgen {pymatgen.core.__version__}; "
                  f"written by tools/dev/pymatgen_matcher_reference.py --seed {args.seed}\n")
        out.write("# Structures derived from MP-20 test crystals (Materials Project; CDVAE split).\n")
        for index, (kind, mid, s1, s2) in enumerate(pairs):
            out.write(f"pair {index} {kind} {mid}\n")
            write_structure(out, s1)
            write_structure(out, s2)
            for tol, sm in matchers.items():
                fit = sm.fit(s1, s2)
                r = sm.get_rms_dist(s1, s2)
                rms, mx = (-1.0, -1.0) if r is None else (r[0], r[1])
                out.write(f"ref {tol[0]} {tol[1]} {tol[2]} {int(fit)} {rms:.10f} {mx:.10f}\n")
            if index % 50 == 0:
                print(index, kind, file=sys.stderr)
    print(f"wrote {len(pairs)} pairs to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
