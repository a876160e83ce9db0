#!/usr/bin/env python3
"""Writes the sample inputs of the examples (standard library only).

image_1x784.npy and image_1x1x28x28.npy hold the same synthetic 28x28
"image": a bright ring on a dark background, values in [0, 1].
Run from this directory: python3 make_samples.py
"""
import math
import struct


def write_npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else ""))
    pad = (64 - (10 + len(header) + 1) % 64) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%df" % len(values), *values))


def ring_image():
    pixels = []
    for y in range(28):
        for x in range(28):
            r = math.hypot(x - 13.5, y - 13.5)
            pixels.append(round(math.exp(-((r - 8.0) ** 2) / 6.0), 4))
    return pixels


if __name__ == "__main__":
    image = ring_image()
    write_npy("image_1x784.npy", (1, 784), image)
    write_npy("image_1x1x28x28.npy", (1, 1, 28, 28), image)
