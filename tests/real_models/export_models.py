#!/usr/bin/env python3
"""Exports the real models of tests/real_models/models.py with PyTorch's own
ONNX exporter into a cache directory, one folder per model:

  CACHE/NAME/model.onnx     the model (opset 17, input "x", output "y")
  CACHE/NAME/input.npy      the input it was exported with
  CACHE/NAME/expected.npy   PyTorch's output for that input
  CACHE/NAME/stamp          what the three were made from

The models are tens of MB of random weights, so they are made when needed
(at test or bench time, into the build tree) and never checked in. A folder
whose stamp matches this script, models.py, the torch version and the opset
is reused as it is; anything else is made again. Files are written under
temporary names and renamed, so an interrupted export leaves no half model.

  /usr/bin/python3 tests/real_models/export_models.py --out build/real_models resnet18 encoder_block_small
"""
import argparse
import hashlib
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
OPSET = 17
# Models whose batch dim is exported as symbolic ("batch"), so that graphc's
# handling of symbolic dims and of the Shape -> Gather -> Concat -> Reshape
# subgraphs they bring is exercised too.
DYNAMIC_BATCH = {"encoder_block_small"}


def stamp_text(name: str) -> str:
    import torch
    digest = hashlib.sha256()
    for source in ("models.py", "export_models.py"):
        digest.update((HERE / source).read_bytes())
    return f"model {name}\nopset {OPSET}\ntorch {torch.__version__}\nsources {digest.hexdigest()}\n"


def cached(folder: pathlib.Path, stamp: str) -> bool:
    stamp_file = folder / "stamp"
    return stamp_file.is_file() and stamp_file.read_text() == stamp and all(
        (folder / f).is_file() for f in ("model.onnx", "input.npy", "expected.npy"))


def export(name: str, out: pathlib.Path, force: bool = False) -> pathlib.Path:
    """Makes CACHE/NAME unless its stamp says it is current; returns the folder."""
    import numpy as np
    import torch
    sys.path.insert(0, str(HERE))
    import models

    folder = out / name
    stamp = stamp_text(name)
    if not force and cached(folder, stamp):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stamp").unlink(missing_ok=True)

    net, x = models.build(name)
    with torch.inference_mode():
        expected = net(x)
    tmp = f".tmp{os.getpid()}"
    dynamic = {"x": {0: "batch"}, "y": {0: "batch"}} if name in DYNAMIC_BATCH else None
    torch.onnx.export(net, x, str(folder / f"model.onnx{tmp}"), input_names=["x"], output_names=["y"],
                      opset_version=OPSET, do_constant_folding=True, dynamic_axes=dynamic)
    np.save(folder / f"input{tmp}.npy", x.numpy())
    np.save(folder / f"expected{tmp}.npy", expected.numpy())
    for base, ext in (("model", ".onnx"), ("input", ".npy"), ("expected", ".npy")):
        src = folder / (f"{base}{ext}{tmp}" if ext == ".onnx" else f"{base}{tmp}{ext}")
        os.replace(src, folder / f"{base}{ext}")
    (folder / f"stamp{tmp}").write_text(stamp)
    os.replace(folder / f"stamp{tmp}", folder / "stamp")
    return folder


def main() -> None:
    sys.path.insert(0, str(HERE))
    import models
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=pathlib.Path, help="The cache directory")
    parser.add_argument("--force", action="store_true", help="Export even when the cache is current")
    parser.add_argument("models", nargs="+", choices=sorted(models.CONFIGS), metavar="MODEL",
                        help=f"One of {', '.join(models.CONFIGS)}")
    args = parser.parse_args()
    for name in args.models:
        print(export(name, args.out, args.force))


if __name__ == "__main__":
    main()
