#!/usr/bin/env python3
"""Times qscope, bitsandbytes (CPU) and a NumPy reference on the same tensor, in one run.

What it measures, for a float32 tensor of --size (default 4096x4096):

  nf4, block 64         qscope | bitsandbytes quantize_4bit/dequantize_4bit | NumPy reference
  fp4, block 64         qscope | bitsandbytes quantize_4bit/dequantize_4bit
  dynamic8, block 64    qscope | bitsandbytes quantize_blockwise/dequantize_blockwise
  dynamic8, block 4096  qscope | bitsandbytes quantize_blockwise/dequantize_blockwise
  int8 vector-wise      qscope | bitsandbytes int8_vectorwise_quant, then row_stats * codes / 127

Each timing is the median and the minimum of --runs runs after one warm-up run. qscope is timed
by its own `qscope bench --format json`, run as a child process (nothing else runs meanwhile);
its "quantize+dequantize" is the sum of the quantize and dequantize medians, and its "full
analysis" is the analyze median (every metric, histograms, code usage, statistics, outliers).

The tensor is qscope bench's own: normal, seed 42, built by `qscope synth --dist normal --seed 42`
(the same generator `qscope bench` uses), so all three libraries see the same values. With
--numpy-tensor, or when `qscope synth` is unavailable, NumPy's default_rng(42).standard_normal
is used instead: same distribution and size, different values. The output says which.

bitsandbytes and torch are optional: when they cannot be imported their column says so and
the rest still runs. --threads sets qscope's worker threads and torch.set_num_threads; the
NumPy reference is single-threaded (elementwise NumPy does not use BLAS threads).
OPENBLAS_* / OMP_NUM_THREADS / MKL_NUM_THREADS are left as they are and printed, so a reader
can see what the run had.

Prints a Markdown table with the machine (CPU model, cores, threads, load average), the
library versions and the date. A benchmark, not a test: compare numbers taken on one machine.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

# bitsandbytes' NF4 table (bitsandbytes/functional.py, get_4bit_type("nf4")).
NF4 = np.array([
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0], dtype=np.float32)
NF4_MIDPOINTS = ((NF4[:-1] + NF4[1:]) * np.float32(0.5)).astype(np.float32)

ENV_VARS = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS", "MKL_NUM_THREADS"]

# (qscope bench key, label, bitsandbytes case)
WORK = [
    ("nf4_b64", "nf4, block 64", "nf4"),
    ("fp4_b64", "fp4, block 64", "fp4"),
    ("dynamic8_b64", "dynamic 8-bit, block 64", "blockwise64"),
    ("dynamic8_b4096", "dynamic 8-bit, block 4096", "blockwise4096"),
    ("int8_row", "int8 vector-wise (row)", "int8_vectorwise"),
]


# ---------------------------------------------------------------- the NumPy reference

def numpy_nf4_quantize(x, block=64):
    """NF4 blockwise: absmax per block, nearest of the 16 levels, two codes per byte
    (first element in the high nibble, as bitsandbytes packs them)."""
    blocks = x.reshape(-1, block)
    absmax = np.abs(blocks).max(axis=1)
    scale = np.float32(1) / np.where(absmax > 0, absmax, np.float32(1))  # an all-zero block codes as 0.0
    normalized = blocks * scale[:, None]
    codes = np.searchsorted(NF4_MIDPOINTS, normalized).astype(np.uint8).reshape(-1)
    packed = (codes[0::2] << 4) | codes[1::2]
    return packed, absmax


def numpy_nf4_dequantize(packed, absmax, shape, block=64):
    codes = np.empty(packed.size * 2, dtype=np.uint8)
    codes[0::2] = packed >> 4
    codes[1::2] = packed & 0x0F
    values = NF4[codes].reshape(-1, block) * absmax[:, None]
    return values.reshape(shape)


def numpy_nf4_roundtrip(x):
    packed, absmax = numpy_nf4_quantize(x)
    return numpy_nf4_dequantize(packed, absmax, x.shape)


# ---------------------------------------------------------------- helpers

def timed(fn, runs):
    """One warm-up call, then `runs` timed calls: (median ms, min ms)."""
    fn()
    samples = []
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(samples), min(samples)


def parse_size(text):
    sep = "x" if "x" in text else "×"
    try:
        rows, cols = (int(p) for p in text.split(sep))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size must be RxC, e.g. 4096x4096 (got {text!r})")
    if rows <= 0 or cols <= 0 or (rows * cols) % 4096:
        raise argparse.ArgumentTypeError("--size: rows*cols must be a positive multiple of 4096")
    return rows, cols


def read_safetensors_f32(path, name):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        entry = header[name]
        if entry["dtype"] != "F32":
            raise ValueError(f"{name} is {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        f.seek(8 + n + begin)
        data = np.frombuffer(f.read(end - begin), dtype="<f4")
    return data.reshape(entry["shape"]).astype(np.float32, copy=True)


def make_tensor(args):
    """The bench tensor: qscope's own generator when possible, else NumPy's."""
    rows, cols = args.size
    if not args.numpy_tensor:
        with tempfile.TemporaryDirectory(prefix="qscope-compare-") as tmp:
            out = os.path.join(tmp, "bench.safetensors")
            try:
                subprocess.run([args.qscope, "synth", "--dist", "normal", "--shape", f"{rows}x{cols}",
                                "--seed", "42", "-o", out],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                x = read_safetensors_f32(out, "synthetic")
                return x, ("the same values as qscope bench (normal, seed 42, "
                           "written by `qscope synth --dist normal --seed 42`)")
            except (OSError, subprocess.CalledProcessError, ValueError, KeyError) as e:
                note = f"; qscope synth failed ({e.__class__.__name__})"
    else:
        note = ""
    x = np.random.default_rng(42).standard_normal((rows, cols), dtype=np.float32)
    return x, ("NumPy default_rng(42).standard_normal: the same distribution and size as qscope "
               "bench's tensor, not the same values" + note)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def run_qscope_bench(args):
    rows, cols = args.size
    cmd = [args.qscope, "bench", "--format", "json", "--size", f"{rows}x{cols}",
           "--threads", str(args.threads), "--runs", str(args.runs),
           "--only", ",".join(key for key, _, _ in WORK)]
    try:
        done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        return None, f"qscope not found at {args.qscope} (build with `swift build -c release` or pass --qscope)"
    except subprocess.CalledProcessError as e:
        return None, f"`{' '.join(cmd)}` failed: {e.stderr.strip()}"
    report = json.loads(done.stdout)
    return report, " ".join(cmd)


def run_bitsandbytes(x, args):
    """bitsandbytes CPU timings, {case: (median, min)}, or a note why not."""
    try:
        import torch
        import bitsandbytes
        import bitsandbytes.functional as F
    except Exception as e:  # ImportError, or a broken native library
        return None, f"bitsandbytes/torch not importable ({e.__class__.__name__}: {e}); skipped", {}
    torch.set_num_threads(args.threads)
    t = torch.from_numpy(x)
    versions = {"torch": torch.__version__, "bitsandbytes": bitsandbytes.__version__,
                "torch threads": str(torch.get_num_threads())}

    def four_bit(kind):
        def roundtrip():
            q, state = F.quantize_4bit(t, quant_type=kind, blocksize=64)
            return F.dequantize_4bit(q, state)
        return roundtrip

    def blockwise(block):
        def roundtrip():
            q, state = F.quantize_blockwise(t, blocksize=block)
            return F.dequantize_blockwise(q, state)
        return roundtrip

    def int8_vectorwise():
        codes, row_stats, _ = F.int8_vectorwise_quant(t)
        return codes.float() * (row_stats.view(-1, 1) / 127.0)

    cases = {"nf4": four_bit("nf4"), "fp4": four_bit("fp4"), "blockwise64": blockwise(64),
             "blockwise4096": blockwise(4096), "int8_vectorwise": int8_vectorwise}
    out = {}
    with torch.inference_mode():
        for name, fn in cases.items():
            out[name] = timed(fn, args.runs)
        # Sanity check: the NumPy reference against bitsandbytes' packed NF4 bytes.
        q, _ = F.quantize_4bit(t, quant_type="nf4", blocksize=64)
        packed, _ = numpy_nf4_quantize(x)
        agree = float(np.mean(q.numpy().reshape(-1) == packed))
    return out, f"NumPy nf4 packed bytes equal to bitsandbytes': {agree * 100:.4f}%", versions


# ---------------------------------------------------------------- output

def ms(pair):
    return "—" if pair is None else f"{pair[0]:.1f} ({pair[1]:.1f})"


def ratio(a, b):
    return "—" if a is None or b is None or b[0] <= 0 else f"{a[0] / b[0]:.2f}×"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qscope", default=".build/release/qscope",
                        help="the qscope binary (default: .build/release/qscope)")
    parser.add_argument("--size", type=parse_size, default=(4096, 4096),
                        help="tensor size RxC (default 4096x4096; rows*cols a multiple of 4096)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="qscope worker threads and torch.set_num_threads (default: every core)")
    parser.add_argument("--runs", type=int, default=5,
                        help="timed runs per measurement, after one warm-up (default 5)")
    parser.add_argument("--numpy-tensor", action="store_true",
                        help="build the tensor with NumPy (seed 42) instead of `qscope synth`")
    args = parser.parse_args()
    if args.threads < 1 or args.runs < 1:
        parser.error("--threads and --runs must be at least 1")
    rows, cols = args.size
    started = datetime.datetime.now().astimezone()
    load_before = load_average()

    # qscope first, alone, as a child process.
    qreport, qnote = run_qscope_bench(args)
    qres = qreport["results"] if qreport else {}

    x, tensor_note = make_tensor(args)

    numpy_nf4 = timed(lambda: numpy_nf4_roundtrip(x), args.runs)
    bnb, bnb_note, versions = run_bitsandbytes(x, args)
    load_after = load_average()

    lines = []
    lines.append(f"# qscope vs bitsandbytes vs NumPy: {rows}×{cols} float32, quantize + dequantize")
    lines.append("")
    lines.append(f"- tensor: {tensor_note}")
    lines.append(f"- machine: {cpu_model()}, {os.cpu_count()} cores, {args.threads} threads used; "
                 f"load average {load_before} before, {load_after} after")
    lines.append(f"- versions: Python {platform.python_version()}, NumPy {np.__version__}, "
                 f"torch {versions.get('torch', '—')}, bitsandbytes {versions.get('bitsandbytes', '—')}"
                 f" (torch threads {versions.get('torch threads', '—')})")
    env = ", ".join(f"{k}={os.environ[k]}" if k in os.environ else f"{k} unset" for k in ENV_VARS)
    lines.append(f"- environment (left as found): {env}")
    lines.append(f"- date: {started.strftime('%Y-%m-%d %H:%M %Z')}")
    lines.append(f"- qscope: `{qnote}`" if qreport else f"- qscope: {qnote}")
    lines.append(f"- check: {bnb_note}" if bnb else f"- bitsandbytes: {bnb_note}")
    lines.append(f"- each cell: median (min) of {args.runs} run{'s' if args.runs > 1 else ''} after a warm-up, in ms")
    lines.append("")
    lines.append("| work | qscope quantize+dequantize ms | qscope full analysis ms | bitsandbytes ms "
                 "| NumPy ms | ratio bnb/qscope | ratio NumPy/qscope |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for key, label, bcase in WORK:
        qd = None
        if f"{key}_quantize_ms" in qres and f"{key}_dequantize_ms" in qres:
            qd = (qres[f"{key}_quantize_ms"] + qres[f"{key}_dequantize_ms"],
                  qres.get(f"{key}_quantize_min_ms", qres[f"{key}_quantize_ms"])
                  + qres.get(f"{key}_dequantize_min_ms", qres[f"{key}_dequantize_ms"]))
        qa = None
        if f"{key}_analyze_ms" in qres:
            qa = (qres[f"{key}_analyze_ms"], qres.get(f"{key}_analyze_min_ms", qres[f"{key}_analyze_ms"]))
        b = bnb.get(bcase) if bnb else None
        n = numpy_nf4 if key == "nf4_b64" else None
        lines.append(f"| {label} | {ms(qd)} | {ms(qa)} | {ms(b)} | {ms(n)} | {ratio(b, qd)} | {ratio(n, qd)} |")
    lines.append("")
    lines.append("qscope's quantize+dequantize is the sum of its quantize and dequantize medians (mins); its "
                 "quantize already writes the dequantized values, so the sum decodes twice. bitsandbytes' "
                 "int8 vector-wise dequantization is row_stats·codes/127 in torch. Ratios divide medians: "
                 "above 1× means qscope is faster.")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
