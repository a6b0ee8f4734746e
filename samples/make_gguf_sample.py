#!/usr/bin/env python3
"""Writes samples/minilm-l6.gguf from samples/minilm-l6.safetensors with the `gguf` package.

Usage:  pip install gguf==0.19.0 && python3 samples/make_gguf_sample.py

The FFN output weights go in as Q8_0 (quantized by gguf-py's own reference code),
the attention query as F16, the LayerNorm weight as F32: a small GGUF file as
llama.cpp tools write them, to open, list and re-quantize in qscope.
"""
import json
import pathlib
import struct

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

here = pathlib.Path(__file__).resolve().parent
data = (here / "minilm-l6.safetensors").read_bytes()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
tensors = {k: np.frombuffer(data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], dtype="<f4").reshape(v["shape"])
           for k, v in header.items() if k != "__metadata__"}

w = gguf.GGUFWriter(str(here / "minilm-l6.gguf"), arch="bert")
w.add_name("all-MiniLM-L6-v2 (qscope sample)")
w.add_string("general.license", "apache-2.0")
w.add_file_type(7)  # mostly Q8_0
for name in ["encoder.layer.0.output.dense.weight", "encoder.layer.4.output.dense.weight"]:
    w.add_tensor(name, quants.quantize(tensors[name], T.Q8_0), raw_dtype=T.Q8_0)
w.add_tensor("encoder.layer.0.attention.self.query.weight", tensors["encoder.layer.0.attention.self.query.weight"].astype(np.float16))
w.add_tensor("encoder.layer.0.attention.output.LayerNorm.weight", tensors["encoder.layer.0.attention.output.LayerNorm.weight"])
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print((here / "minilm-l6.gguf").stat().st_size, "bytes")
