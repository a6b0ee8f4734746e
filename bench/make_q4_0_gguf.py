#!/usr/bin/env python3
"""Converts a Hugging Face model folder to a Q4_0 GGUF under llama.cpp's tensor names, for measuring
`qscope compare` against a quantized file made the way llama.cpp's converter makes one.

Usage:  python3 bench/make_q4_0_gguf.py MODEL_DIR OUT.gguf llama|bert [--skip NAME,NAME]

Needs NumPy and the `gguf` package (gguf-py). Reads every `*.safetensors` in MODEL_DIR (f32, f16 or
bf16), renames each tensor with gguf-py's `TensorNameMap` (what `convert_hf_to_gguf.py` uses), and
for `llama` permutes the Q and K rows as the converter's `LlamaModel.permute` does (head counts from
`config.json`, 32 and 8 without one). 2-D tensors whose rows are a multiple of 32 are quantized to
Q4_0 by gguf-py's NumPy quantizer (llama.cpp's reference bytes); everything else is stored as F32.
Tensors without a llama.cpp name are skipped and named on stderr.
"""
import argparse
import glob
import json
import os
import struct
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import quants


def tensors(folder):
    for path in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            begin, end = entry["data_offsets"]
            raw = data[begin:end]
            if entry["dtype"] == "BF16":
                values = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
            elif entry["dtype"] == "F16":
                values = raw.view(np.float16).astype(np.float32)
            elif entry["dtype"] == "F32":
                values = raw.view(np.float32)
            else:
                print(f"skip {name} ({entry['dtype']})", file=sys.stderr)
                continue
            yield name, values.reshape(entry["shape"])


def permute(w, heads):
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model_dir")
    p.add_argument("out")
    p.add_argument("arch", choices=["llama", "bert"])
    p.add_argument("--skip", default="", help="comma-separated tensor names to leave out")
    a = p.parse_args()
    config_path = os.path.join(a.model_dir, "config.json")
    config = json.load(open(config_path)) if os.path.exists(config_path) else {}
    heads = config.get("num_attention_heads", 32)
    kv_heads = config.get("num_key_value_heads", heads if config else 8)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA if a.arch == "llama" else gguf.MODEL_ARCH.BERT, 256)
    skip = set(filter(None, a.skip.split(",")))
    w = gguf.GGUFWriter(a.out, arch=a.arch)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_0)
    for name, values in tensors(a.model_dir):
        if name in skip:
            continue
        hf = name[5:] if name.startswith("bert.") else name
        stem, suffix = hf.rsplit(".", 1)
        new = names.get_name(stem)
        if new is None:
            print(f"skip {name} (no llama.cpp name)", file=sys.stderr)
            continue
        if a.arch == "llama" and stem.endswith("q_proj"):
            values = permute(values, heads)
        elif a.arch == "llama" and stem.endswith("k_proj"):
            values = permute(values, kv_heads)
        values = np.ascontiguousarray(values, dtype=np.float32)
        if values.ndim == 2 and values.shape[1] % 32 == 0:
            w.add_tensor(f"{new}.{suffix}", quants.quantize(values, T.Q4_0), raw_dtype=T.Q4_0)
        else:
            w.add_tensor(f"{new}.{suffix}", values)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
