#!/usr/bin/env python3
"""Writes a LLaMA-3-8B-shaped bfloat16 checkpoint for measuring qscope at real sizes.

Usage:  python3 bench/make_checkpoint.py OUT_DIR [--layers N]

Two safetensors shards and a `model.safetensors.index.json`, as Hugging Face writes them:
`model.embed_tokens.weight` (128256×4096, 525 M values) in the first shard, then N decoder layers
(q/k/v/o projections 4096×4096, 1024×4096, 1024×4096, 4096×4096; gate/up 14336×4096; down
4096×14336; two RMSNorm weights) in the second. Values are seeded normals (std 0.02, a few columns
scaled ×30 like LLM outlier features), rounded to bfloat16; only NumPy is needed, and the files are
written a slab at a time so memory stays small. The output is about 1.05 GB + 0.44 GB per layer.
"""
import argparse
import json
import pathlib
import struct

import numpy as np


def bf16(a):
    """float32 → bfloat16 bit patterns, round to nearest even."""
    u = a.astype(np.float32).view(np.uint32)
    r = ((u >> 16) & 1) + 0x7FFF
    return ((u + r) >> 16).astype(np.uint16)


def tensors(layers):
    yield "model.embed_tokens.weight", (128256, 4096), 0
    for i in range(layers):
        p = f"model.layers.{i}."
        yield p + "self_attn.q_proj.weight", (4096, 4096), 1
        yield p + "self_attn.k_proj.weight", (1024, 4096), 1
        yield p + "self_attn.v_proj.weight", (1024, 4096), 1
        yield p + "self_attn.o_proj.weight", (4096, 4096), 1
        yield p + "mlp.gate_proj.weight", (14336, 4096), 1
        yield p + "mlp.up_proj.weight", (14336, 4096), 1
        yield p + "mlp.down_proj.weight", (4096, 14336), 1
        yield p + "input_layernorm.weight", (4096,), 1
        yield p + "post_attention_layernorm.weight", (4096,), 1


def write_shard(path, entries, seed):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in entries:
        n = int(np.prod(shape)) * 2
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name, shape in entries:
            if len(shape) == 1:
                f.write(bf16(1 + 0.1 * rng.standard_normal(shape[0], dtype=np.float32)).tobytes())
                continue
            rows, cols = shape
            outliers = rng.choice(cols, size=4, replace=False)
            step = max(1, (1 << 24) // cols)
            for r0 in range(0, rows, step):
                slab = rng.standard_normal((min(step, rows - r0), cols), dtype=np.float32) * np.float32(0.02)
                slab[:, outliers] *= 30
                f.write(bf16(slab).tobytes())
    tmp.replace(path)
    return offset


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=1)
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    shards = {0: [], 1: []}
    for name, shape, shard in tensors(a.layers):
        shards[shard].append((name, shape))
    names = [f"model-0000{k + 1}-of-00002.safetensors" for k in range(2)]
    total = 0
    weight_map = {}
    for k in (0, 1):
        total += write_shard(out / names[k], shards[k], seed=1234 + k)
        for name, _ in shards[k]:
            weight_map[name] = names[k]
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (out / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    print(f"wrote {out}: {len(weight_map)} tensors, {total / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
