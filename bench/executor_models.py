#!/usr/bin/env python3
"""Writes the executor benchmark models (issue 5) as GraphDef text protos into
DIR: two_branch.pbtxt (two independent chains of 512x512 MatMuls joined by
an Add: the work cpu:2 can split) and chain.pbtxt (a long chain of tiny Neg
ops on a 1-element tensor: what it costs the executor to run one step).

  python3 bench/executor_models.py DIR [--chain 2000] [--depth 8]
"""
import argparse
import os


def placeholder(name, dims):
    shape = " ".join(f"dim: {d}" for d in dims)
    return (f'node {{ name: "{name}" op: "Placeholder" attr {{ key: "dtype" value {{ type: DT_FLOAT }} }} '
            f'attr {{ key: "shape" value {{ shape {{ {shape} }} }} }} }}\n')


def variable(name, dims, seed):
    shape = " ".join(f"dim: {d}" for d in dims)
    return (f'node {{ name: "{name}" op: "Variable" attr {{ key: "shape" value {{ shape {{ {shape} }} }} }} '
            f'attr {{ key: "initializer" value {{ s: "glorot_uniform" }} }} attr {{ key: "seed" value {{ i: {seed} }} }} }}\n')


def node(name, op, inputs):
    ins = " ".join(f'input: "{i}"' for i in inputs)
    return f'node {{ name: "{name}" op: "{op}" {ins} }}\n'


def two_branch(depth, width):
    text = placeholder("x", [width, width])
    for branch in "ab":
        prev = "x"
        for i in range(depth):
            w = f"{branch}_w{i}"
            text += variable(w, [width, width], seed=(0 if branch == "a" else 100) + i + 1)
            text += node(f"{branch}_mm{i}", "MatMul", [prev, w])
            text += node(f"{branch}_act{i}", "Tanh", [f"{branch}_mm{i}"])
            prev = f"{branch}_act{i}"
    text += node("y", "Add", [f"a_act{depth - 1}", f"b_act{depth - 1}"])
    return text + 'signature { inputs { name: "x" tensor: "x" } outputs { name: "y" tensor: "y" } }\n'


def chain(length):
    text = placeholder("x", [1])
    prev = "x"
    for i in range(length):
        text += node(f"n{i}", "Neg", [prev])
        prev = f"n{i}"
    return text + f'signature {{ inputs {{ name: "x" tensor: "x" }} outputs {{ name: "y" tensor: "{prev}" }} }}\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("--chain", type=int, default=2000)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--width", type=int, default=512)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    with open(os.path.join(args.dir, "two_branch.pbtxt"), "w") as f:
        f.write(two_branch(args.depth, args.width))
    with open(os.path.join(args.dir, "chain.pbtxt"), "w") as f:
        f.write(chain(args.chain))


if __name__ == "__main__":
    main()
