#!/usr/bin/env python3
"""Times `qscope report` on one bfloat16 layer of a safetensors checkpoint against NumPy's blockwise NF4
(quantize, dequantize, mean squared error) of the same values, each as a whole process, in one run.

Usage:  python3 bench/layer_vs_numpy.py FILE_OR_FOLDER TENSOR [--qscope PATH] [--runs N]

NumPy reads the tensor through a memory map, widens bfloat16 to float32, and runs the same NF4 as
Tests/Fixtures/cli/make_cli_fixtures.py (block 64, nearest level, ties down). Prints the median wall
time of each and the ratio.
"""
import argparse
import json
import pathlib
import statistics
import struct
import subprocess
import sys
import time

import numpy as np

NF4 = np.array([
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0], dtype=np.float32)


def locate(path, name):
    p = pathlib.Path(path)
    if p.is_dir():
        index = p / "model.safetensors.index.json"
        p = p / json.loads(index.read_text())["weight_map"][name] if index.exists() else next(p.glob("*.safetensors"))
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    t = header[name]
    b, e = t["data_offsets"]
    return p, 8 + n + b, t["shape"], t["dtype"]


def numpy_nf4(path, name):
    file, offset, shape, dtype = locate(path, name)
    assert dtype == "BF16", dtype
    raw = np.memmap(file, dtype=np.uint16, mode="r", offset=offset, shape=(int(np.prod(shape)),))
    x = (raw.astype(np.uint32) << 16).view(np.float32).reshape(-1, 64)
    absmax = np.abs(x).max(axis=1, keepdims=True)
    absmax[absmax == 0] = 1
    mids = (NF4[:-1] + NF4[1:]) * np.float32(0.5)
    idx = np.searchsorted(mids, x / absmax, side="left")
    y = NF4[idx] * absmax
    e = (y - x).astype(np.float64)
    return float(np.mean(e * e))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("tensor")
    ap.add_argument("--qscope", default=".build/release/qscope")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--numpy-inner", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.numpy_inner:
        print(numpy_nf4(a.path, a.tensor))
        return
    def timed(cmd):
        t0 = time.monotonic()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return time.monotonic() - t0, out
    q, n = [], []
    for _ in range(a.runs):
        tq, out = timed([a.qscope, "report", a.path, "--tensor", a.tensor, "--format", "json"])
        q.append(tq)
        tn, mse = timed([sys.executable, __file__, a.path, a.tensor, "--numpy-inner"])
        n.append(tn)
    qm, nm = statistics.median(q), statistics.median(n)
    print(f"| qscope report | {qm:.2f} s |\n| NumPy NF4 quantize+dequantize+mse | {nm:.2f} s |\n| ratio | {nm / qm:.1f}× |")
    print(f"(mse: qscope {json.loads(out)['metrics']['mse']:.6e}, NumPy {float(mse):.6e})")


if __name__ == "__main__":
    main()
