#!/usr/bin/env python3
"""Writes the binary inputs of the bad-input suite into this directory.

Run it from anywhere (python3 make_data.py); it needs only the standard
library. The outputs are checked in, so the suite never runs it: rerun it
after editing and commit what changed. The .npy files named after a defect
are wrong in exactly that way for data/tiny.pbtxt, whose input x is
f32[2,3]; the others are valid inputs of the run-time error cases.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def npy(descr, shape, data, fortran=False, magic=b"\x93NUMPY"):
    """A version 1.0 .npy file, padded as NumPy pads it (data 64-byte aligned)."""
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %r, }" % (descr, fortran, tuple(shape))
    header += " " * (-(len(magic) + 4 + len(header) + 1) % 64) + "\n"
    return magic + b"\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + data


def floats(fmt, n):
    return struct.pack("<%d%s" % (n, fmt), *[i * 0.5 for i in range(n)])


FILES = {
    # .npy files fed as x (f32[2,3]) of tiny.pbtxt, each wrong in one way.
    "wrong_dtype_f8.npy": npy("<f8", (2, 3), floats("d", 6)),
    "wrong_dtype_i4.npy": npy("<i4", (2, 3), struct.pack("<6i", *range(6))),
    "big_endian.npy": npy(">f4", (2, 3), struct.pack(">6f", *[0.0] * 6)),
    "wrong_shape.npy": npy("<f4", (3, 2), floats("f", 6)),
    "wrong_rank.npy": npy("<f4", (6,), floats("f", 6)),
    "truncated.npy": npy("<f4", (2, 3), floats("f", 6))[:-4],
    "bad_magic.npy": npy("<f4", (2, 3), floats("f", 6), magic=b"\x93NUMPX"),
    "fortran_order.npy": npy("<f4", (2, 3), floats("f", 6), fortran=True),
    "header_past_end.npy": b"\x93NUMPY\x01\x00\xff\x7f{'descr': '<f4'",
    "negative_dim.npy": npy("<f4", (-2, 3), floats("f", 6)),
    # Inputs of the run-time error cases (../run_*.pbtxt), valid files.
    "ones_i4.npy": npy("<i4", (3,), struct.pack("<3i", 1, 1, 1)),
    "zeros_i4.npy": npy("<i4", (3,), struct.pack("<3i", 0, 0, 0)),
    "index_7_i4.npy": npy("<i4", (1,), struct.pack("<i", 7)),
    # A length-delimited field claiming 2^28 bytes in a file of a few bytes.
    "garbage.pb": b"\x0a\xff\xff\xff\x7fnot a graph",
    "garbage.gcm": b"\x0a\xff\xff\xff\x7fnot a module",
    # External data for ../external_data_past_end.pbtxt: two floats.
    "eight_bytes.bin": struct.pack("<2f", 1.0, 2.0),
    "empty.pbtxt": b"",
}


def dataset(n_train=12, n_test=6, label_fmt="<i4", bad_label=None, train_y_rows=None, skip=(), inf_at=None):
    """A .npy dataset for data/classifier.pbtxt: 4 features, 3 classes (the
    index of the largest of the first three features)."""
    def split(n, seed):
        xs, ys = [], []
        for i in range(n):
            row = [((i * 7 + j * 3 + seed) % 10) / 10.0 for j in range(4)]
            xs += row
            ys.append(max(range(3), key=lambda j: row[j]))
        return xs, ys
    files = {}
    for name, n, seed in (("train", n_train, 1), ("test", n_test, 2)):
        xs, ys = split(n, seed)
        if name == "train" and inf_at is not None:
            xs[inf_at] = float("inf")
        if name == "train" and bad_label is not None:
            ys[bad_label[0]] = bad_label[1]
        if name == "train" and train_y_rows is not None:
            ys = ys[:train_y_rows]
        files[name + "_x.npy"] = npy("<f4", (n, 4), struct.pack("<%df" % len(xs), *xs))
        label = {"<i4": "i", "<f4": "f"}[label_fmt]
        files[name + "_y.npy"] = npy(label_fmt, (len(ys),), struct.pack("<%d%s" % (len(ys), label), *ys))
    return {k: v for k, v in files.items() if k not in skip}


# Datasets for `graphc train` (directories of .npy files).
DATASETS = {
    "dataset_ok": dataset(),
    "dataset_label_out_of_range": dataset(bad_label=(5, 3)),
    "dataset_float_labels": dataset(label_fmt="<f4"),
    "dataset_missing_files": dataset(skip=("test_x.npy", "test_y.npy")),
    "dataset_count_mismatch": dataset(train_y_rows=11),
    "dataset_inf_feature": dataset(inf_at=9),
}


def main():
    for name, data in FILES.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    for directory, files in DATASETS.items():
        os.makedirs(os.path.join(HERE, directory), exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(HERE, directory, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
