#!/usr/bin/env python3
"""Writes a Llama-layout GGUF that holds every ggml block type qscope reads, for `qscope list`,
`report` and the workbench on a file shaped like the mixed-type GGUFs on the Hub.

Usage:  python3 bench/make_gguf_model.py OUT.gguf [--qscope PATH] [--hidden N] [--layers N]

Needs NumPy and the `gguf` package (gguf-py). The file follows llama.cpp's Llama naming and
metadata (`token_embd.weight`, `blk.N.attn_q.weight` … `blk.N.ffn_down.weight`, `output_norm`,
`output.weight`, `llama.*` keys with the head counts). The values are seeded normals (std 0.02, a few
columns ×30 like LLM outlier features). Each linear layer gets one type, cycling through the list
below, quantized by

- gguf-py's NumPy quantizers (which write llama.cpp's reference bytes) for Q4_0, Q4_1, Q5_0, Q5_1,
  Q8_0, TQ1_0, TQ2_0, MXFP4, BF16 and F16;
- qscope itself (`qscope quantize … -o X.gguf`, llama.cpp's reference quantizers without an
  importance matrix) for Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_NL;
- nothing for the types whose quantizers need llama.cpp's importance-matrix search (IQ1_S, IQ1_M,
  IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS) and NVFP4: those get random but valid blocks (every
  fp16 scale a sane finite value), which exercises the decoders but not a real quantizer.

The output is about 40 MB at the defaults (hidden 1024, 4 layers).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import quants

TYPES = [T.Q4_0, T.Q2_K, T.IQ2_XXS, T.Q3_K, T.IQ3_XXS, T.Q4_K, T.IQ4_NL, T.Q5_K, T.Q6_K, T.Q8_0,
         T.Q4_1, T.IQ2_XS, T.Q5_0, T.IQ2_S, T.Q5_1, T.IQ3_S, T.IQ1_S, T.IQ1_M, T.IQ4_XS, T.TQ1_0,
         T.TQ2_0, T.MXFP4, T.NVFP4, T.BF16]
GGUF_PY = {T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.TQ1_0, T.TQ2_0, T.MXFP4, T.BF16, T.F16}
QSCOPE = {T.Q2_K: "q2_k", T.Q3_K: "q3_k", T.Q4_K: "q4_k", T.Q5_K: "q5_k", T.Q6_K: "q6_k",
          T.IQ4_NL: "iq4_nl"}

rng = np.random.default_rng(7)


def weights(rows, cols):
    w = rng.standard_normal((rows, cols), dtype=np.float32) * 0.02
    w[:, rng.choice(cols, size=max(1, cols // 512), replace=False)] *= 30
    return w


def random_blocks(qt, nblocks):
    """Random block bytes with every fp16 scale (or E8M0/E4M3 scale) set to a sane value."""
    _, type_size = gguf.GGML_QUANT_SIZES[qt]
    b = rng.integers(0, 256, size=(nblocks, type_size), dtype=np.uint8)
    d = (rng.standard_normal(nblocks) * 0.01).astype(np.float16).view(np.uint8).reshape(-1, 2)
    if qt in (T.IQ2_XXS, T.IQ2_XS, T.IQ2_S, T.IQ3_XXS, T.IQ3_S, T.IQ1_S, T.IQ4_XS):
        b[:, 0:2] = d
    elif qt == T.IQ1_M:  # the fp16 d lives in the top nibbles of the four u16 scale words
        h = d.copy().view(np.uint16).reshape(-1)
        w = b[:, 48:56].copy().view(np.uint16)
        for k in range(4):
            w[:, k] = (w[:, k] & 0x0FFF) | (((h >> (4 * k)) & 0xF) << 12)
        b[:, 48:56] = w.view(np.uint8)
    elif qt == T.NVFP4:  # four E4M3 sub-block scales: keep them finite and moderate
        b[:, 0:4] = rng.integers(0x20, 0x50, size=(nblocks, 4), dtype=np.uint8)
    else:
        raise ValueError(qt.name)
    return b


def qscope_blocks(qscope, values, dtype):
    """Quantizes with `qscope quantize -o X.gguf` and returns the tensor's block bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "w.npy"), os.path.join(tmp, "w.gguf")
        np.save(src, values)
        subprocess.run([qscope, "quantize", src, "--dtype", dtype, "-o", out], check=True,
                       stdout=subprocess.DEVNULL)
        t = gguf.GGUFReader(out).tensors[0]
        return np.array(t.data, copy=True).reshape(values.shape[0], -1)


def encode(qt, values, qscope):
    if qt in GGUF_PY:
        return quants.quantize(values, qt)
    if qt in QSCOPE:
        return qscope_blocks(qscope, values, QSCOPE[qt])
    block, _ = gguf.GGML_QUANT_SIZES[qt]
    return random_blocks(qt, values.size // block).reshape(values.shape[0], -1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out")
    p.add_argument("--qscope", default=".build/release/qscope")
    p.add_argument("--hidden", type=int, default=1024)
    p.add_argument("--layers", type=int, default=4)
    a = p.parse_args()
    h, heads, kv_heads = a.hidden, a.hidden // 64, a.hidden // 256
    ffn = (a.hidden * 11 // 4) // 256 * 256
    vocab = 8192
    w = gguf.GGUFWriter(a.out, arch="llama")
    w.add_name("qscope every-type test model")
    w.add_context_length(4096)
    w.add_embedding_length(h)
    w.add_block_count(a.layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_K_M)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_tensor("token_embd.weight", quants.quantize(weights(vocab, h), T.F16), raw_dtype=T.F16)
    k = 0
    for i in range(a.layers):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(h, dtype=np.float32))
        shapes = [("attn_q", h, h), ("attn_k", h // (heads // kv_heads), h),
                  ("attn_v", h // (heads // kv_heads), h), ("attn_output", h, h),
                  ("ffn_gate", ffn, h), ("ffn_up", ffn, h), ("ffn_down", h, ffn)]
        for name, rows, cols in shapes:
            qt = TYPES[k % len(TYPES)]
            k += 1
            raw = encode(qt, weights(rows, cols), a.qscope)
            w.add_tensor(f"blk.{i}.{name}.weight", raw, raw_dtype=qt)
            print(f"blk.{i}.{name}.weight {rows}×{cols} {qt.name}", file=sys.stderr)
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(h, dtype=np.float32))
    w.add_tensor("output_norm.weight", np.ones(h, dtype=np.float32))
    w.add_tensor("output.weight", qscope_blocks(a.qscope, weights(vocab, h), "q6_k"), raw_dtype=T.Q6_K)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
