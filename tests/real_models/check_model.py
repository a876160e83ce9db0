#!/usr/bin/env python3
"""End-to-end check of one real model: PyTorch's ONNX export of it goes
through graphc, and graphc's output must match PyTorch's within

    |graphc - pytorch| <= atol + rtol * |pytorch|     (elementwise, rtol 1e-4)

at -O0 (the .onnx compiled directly: reference kernels, no fusion) and at -O2
(`graphc import` to a .pb first, as the benchmarks do, then the full
pipeline). Prints the max absolute and relative error per level and exits 1 on
any mismatch or graphc failure.

The atol. Both sides compute in f32 but sum in different orders (oneDNN's
blocked convolutions and GEMMs, the reference kernels, PyTorch's own), so an
output that lands near zero after summing terms of size S carries a rounding
error of a few eps * S (eps = 2^-24 = 6e-8) that no relative bound covers:
the near-zero logits of these models miss rtol alone by up to 80x. The terms'
size is about the output's own scale, so atol is ATOL_SCALE * max|pytorch|,
1e-5 of the largest output (~170 eps): an f32 sum of K terms is expected to
be off by ~sqrt(K) eps (~70 eps for K = 4608, resnet18's deepest
convolutions), and the largest error measured on these models is 1.1e-6 of
max|pytorch| (~18 eps), 10x inside atol. It is still 10x tighter than what
rtol allows the largest outputs, and a wrong result (a misfolded BatchNorm, a
transposed weight) is off by orders of magnitude more.

  check_model.py --graphc build/tools/graphc/graphc --cache build/real_models resnet18
"""
import argparse
import pathlib
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import export_models  # noqa: E402

RTOL = 1e-4
ATOL_SCALE = 1e-5


def run(cmd: list[str]) -> float:
    """Runs cmd, echoing it; returns its wall time. Fails the check when it fails."""
    print("$", " ".join(cmd), flush=True)
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout, end="")
        print(f"FAIL: exit status {done.returncode} after {elapsed:.1f} s", file=sys.stderr)
        sys.exit(1)
    return elapsed


def compare(got: np.ndarray, expected: np.ndarray, atol: float) -> tuple[float, float, float]:
    """Max absolute error, max relative error (over elements above atol/rtol,
    where a relative error means something) and the worst ratio of error to
    allowance (<= 1 passes)."""
    diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    mag = np.abs(expected.astype(np.float64))
    significant = mag > atol / RTOL
    max_rel = float((diff[significant] / mag[significant]).max()) if significant.any() else 0.0
    worst = float((diff / (atol + RTOL * mag)).max())
    return float(diff.max()), max_rel, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphc", required=True)
    parser.add_argument("--cache", required=True, type=pathlib.Path, help="Where exported models are kept")
    parser.add_argument("--levels", default="0,2", help="Optimisation levels to check (default 0,2)")
    parser.add_argument("model")
    args = parser.parse_args()

    start = time.perf_counter()
    folder = export_models.export(args.model, args.cache)
    print(f"{args.model}: exported to {folder} ({time.perf_counter() - start:.1f} s, cached when unchanged)")
    x = np.load(folder / "input.npy")
    expected = np.load(folder / "expected.npy")
    shape = "x=" + "x".join(str(d) for d in x.shape)
    atol = ATOL_SCALE * float(np.abs(expected).max())
    print(f"output {list(expected.shape)}, max |pytorch| {np.abs(expected).max():.4g}; "
          f"rtol {RTOL:g}, atol {atol:.3g} ({ATOL_SCALE:g} * max |pytorch|)")

    failed = False
    for level in (int(v) for v in args.levels.split(",")):
        work = folder / f"O{level}"
        work.mkdir(exist_ok=True)
        model = folder / "model.onnx"
        seconds = 0.0
        if level > 0:  # the benchmarks' path: a GraphDef made by `graphc import`
            pb = work / "model.pb"
            # --shape: the importer needs the static shapes of symbolic-dim
            # inputs where a converter needs ranks (LayerNormalization's axes)
            seconds += run([args.graphc, "import", str(model), "--shape", shape, "-o", str(pb)])
            model = pb
        module = work / "model.gcm"
        seconds += run([args.graphc, "compile", str(model), f"-O{level}", "--shape", shape, "-o", str(module)])
        out = work / "out"
        (out / "y.npy").unlink(missing_ok=True)
        seconds += run([args.graphc, "run", str(module), "--input", f"x={folder / 'input.npy'}",
                        "--output-dir", str(out)])
        got = np.load(out / "y.npy")
        if got.shape != expected.shape:
            print(f"FAIL -O{level}: output shape {list(got.shape)}, PyTorch's is {list(expected.shape)}")
            failed = True
            continue
        max_abs, max_rel, worst = compare(got, expected, atol)
        ok = worst <= 1.0
        failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'} {args.model} -O{level}: max abs error {max_abs:.3g}, "
              f"max rel error {max_rel:.3g}, worst error / allowance {worst:.3g} ({seconds:.1f} s)", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
