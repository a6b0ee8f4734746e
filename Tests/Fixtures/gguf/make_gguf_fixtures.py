"""Makes the GGUF fixtures with the `gguf` package (gguf-py 0.19.0) and their expected values.

Run from this folder: `pip install gguf==0.19.0 numpy && python3 make_gguf_fixtures.py`.

`blocks.gguf` holds one tensor of every block type qscope reads (F32, F16, BF16,
Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K) plus an unsupported one (IQ4_NL),
and metadata of every value type. The legacy types are quantized by gguf-py's own
NumPy quantizers; the K-quants, which gguf-py cannot quantize, are random but
well-formed blocks (finite fp16 scales). `expected.json` holds, per tensor, the
shape and gguf-py's own dequantization as float32 bit patterns.
"""
import json

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import quants

rng = np.random.default_rng(11)
w = gguf.GGUFWriter("blocks.gguf", arch="qscope-test")
w.add_name("qscope GGUF fixture")
w.add_uint32("test.u32", 7)
w.add_int32("test.i32", -7)
w.add_float32("test.f32", 0.5)
w.add_uint64("test.u64", 1 << 40)
w.add_int64("test.i64", -(1 << 40))
w.add_float64("test.f64", 0.25)
w.add_bool("test.bool", True)
w.add_uint8("test.u8", 255)
w.add_int8("test.i8", -128)
w.add_uint16("test.u16", 65535)
w.add_int16("test.i16", -32768)
w.add_string("test.string", "héllo")
w.add_array("test.array", [1, 2, 3])
w.add_array("test.strings", ["a", "bc"])

expected = {}
shape = (4, 512)  # rows of 512: a multiple of 32 and of 256
base = (rng.standard_normal(shape) * 0.05).astype(np.float32)
base[1, 100] = 3.0


def add(name, qtype, raw, logical_shape):
    w.add_tensor(name, raw, raw_dtype=qtype)
    deq = quants.dequantize(raw, qtype).astype(np.float32).reshape(logical_shape)
    expected[name] = {"type": qtype.name, "shape": list(logical_shape),
                      "bits": [int(b) for b in deq.reshape(-1).view(np.uint32)]}


w.add_tensor("t_F32", base)
expected["t_F32"] = {"type": "F32", "shape": list(shape), "bits": [int(b) for b in base.reshape(-1).view(np.uint32)]}
h = base.astype(np.float16)
w.add_tensor("t_F16", h)
expected["t_F16"] = {"type": "F16", "shape": list(shape),
                     "bits": [int(b) for b in h.astype(np.float32).reshape(-1).view(np.uint32)]}
for qt in [T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.IQ4_NL]:
    try:
        raw = quants.quantize(base, qt)
    except NotImplementedError:
        continue
    add(f"t_{qt.name}", qt, raw, shape)

for qt in [T.Q4_K, T.Q5_K, T.Q6_K]:
    block_size, type_size = gguf.GGML_QUANT_SIZES[qt]
    nblocks = base.size // block_size
    raw = rng.integers(0, 256, size=(shape[0], nblocks // shape[0] * type_size), dtype=np.uint8)
    blocks = raw.reshape(-1, type_size)
    if qt in (T.Q4_K, T.Q5_K):
        blocks[:, 0:2] = (np.abs(rng.standard_normal(len(blocks))) * 0.01).astype(np.float16).view(np.uint8).reshape(-1, 2)
        blocks[:, 2:4] = (np.abs(rng.standard_normal(len(blocks))) * 0.01).astype(np.float16).view(np.uint8).reshape(-1, 2)
    else:  # Q6_K: d is the last two bytes
        blocks[:, -2:] = (rng.standard_normal(len(blocks)) * 0.001).astype(np.float16).view(np.uint8).reshape(-1, 2)
    add(f"t_{qt.name}", qt, raw, shape)

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
with open("expected.json", "w") as f:
    json.dump(expected, f)
print({k: v["type"] for k, v in expected.items()})
