"""Makes the block-format fixtures with the `gguf` package (gguf-py 0.19.0) and NumPy.

Run from this folder: `pip install gguf==0.19.0 numpy && python3 make_block_fixtures.py`.

1. `all_types.gguf`: one tensor of every quantized block type gguf-py can decode (Q4_0 … NVFP4, the
   IQ and TQ types), random but valid blocks: random bytes with every fp16 scale overwritten by a sane
   finite value. The lattice types (IQ1_*, IQ2_*, IQ3_*) get enough blocks to use every grid point once.
   `all_types_expected.npz` holds gguf-py's own `gguf.quants.dequantize` of each tensor (float32).
2. `legacy_quant.gguf`: an F32 `input` (random rows, hand-made edge cases and 1024 MiniLM weights
   around the model's largest weight) and that input quantized by gguf-py's own NumPy quantizers to
   Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 (which match llama.cpp's `quantize_row_*_ref`).
3. With `--check-written` (after the Swift test suite recorded `qscope_written.gguf` with
   `QSCOPE_RECORD_FIXTURES=1`): reads qscope's file with gguf-py's `GGUFReader`, checks its metadata,
   names, shapes and types, and writes gguf-py's decode of every tensor to
   `qscope_written_expected.npz`.
"""
import json
import struct
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import quants


def minilm_weights():
    """1024 MiniLM weights around the model's largest (row 99, column 856 of layer 0's FFN output)."""
    path = "../../../samples/minilm-l6.safetensors"
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        entry = header["encoder.layer.0.output.dense.weight"]
        begin, _ = entry["data_offsets"]
        f.seek(8 + n + begin + (99 * 1536 + 512) * 4)
        return np.frombuffer(f.read(1024 * 4), dtype="<f4").astype(np.float32)


def check_written():
    r = gguf.GGUFReader("qscope_written.gguf")
    fields = {k: v for k, v in r.fields.items()}
    assert fields["general.architecture"].contents() == "qscope-test"
    assert fields["general.alignment"].contents() == 32
    assert fields["general.quantization_version"].contents() == 2
    assert fields["test.strings"].contents() == ["a", "bc", "héllo"]
    assert fields["test.ints"].contents() == [1, -2, 3]
    expected = {}
    for t in r.tensors:
        assert t.data_offset % 32 == 0
        assert [int(d) for d in t.shape] == [256, 9]  # innermost first
        deq = quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        expected[t.name] = deq.reshape(-1)
        print(t.name, t.tensor_type.name, list(t.shape), deq.shape)
    np.savez_compressed("qscope_written_expected.npz", **expected)


if len(sys.argv) > 1 and sys.argv[1] == "--check-written":
    check_written()
    sys.exit(0)

rng = np.random.default_rng(2024)


def half_bytes(values):
    return np.asarray(values, dtype=np.float16).view(np.uint8).reshape(-1, 2)


def sane_scales(count, scale=0.01):
    """fp16 scales of both signs around `scale`, including a few exact zeros."""
    s = (rng.standard_normal(count) * scale).astype(np.float32)
    s[::13] = 0
    return s


def random_blocks(qt, nblocks):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qt]
    b = rng.integers(0, 256, size=(nblocks, type_size), dtype=np.uint8)
    d = half_bytes(sane_scales(nblocks))
    if qt in (T.Q4_0, T.Q5_0, T.Q8_0, T.IQ4_NL, T.IQ2_XXS, T.IQ2_XS, T.IQ2_S, T.IQ3_XXS, T.IQ3_S, T.IQ1_S, T.IQ4_XS):
        b[:, 0:2] = d
    elif qt in (T.Q4_1, T.Q5_1, T.Q4_K, T.Q5_K):
        b[:, 0:2] = d
        b[:, 2:4] = half_bytes(sane_scales(nblocks))
    elif qt == T.Q2_K:
        b[:, 80:82] = d
        b[:, 82:84] = half_bytes(sane_scales(nblocks))
    elif qt == T.Q3_K:
        b[:, 108:110] = d
    elif qt == T.Q6_K:
        b[:, 208:210] = half_bytes(sane_scales(nblocks, 0.001))
    elif qt == T.TQ1_0:
        b[:, 52:54] = d
    elif qt == T.TQ2_0:
        b[:, 64:66] = d
    elif qt == T.IQ1_M:
        # The fp16 d lives in the top nibbles of the four u16 scale words (bytes 48…55).
        h = np.asarray(sane_scales(nblocks), dtype=np.float16).view(np.uint16)
        w = b[:, 48:56].copy().view(np.uint16)
        for k in range(4):
            w[:, k] = (w[:, k] & 0x0FFF) | (((h >> (4 * k)) & 0xF) << 12)
        b[:, 48:56] = w.view(np.uint8)
    elif qt == T.MXFP4:
        b[:, 0] = rng.integers(110, 135, size=nblocks)  # 2^-18 … 2^6
        b[:3, 0] = [0, 1, 2]  # the subnormal scales of ggml_e8m0_to_fp32_half
    elif qt == T.NVFP4:
        b[:2, 0:4] = [[0x00, 0x7F, 0x80, 0xFF], [0x01, 0x07, 0x08, 0x7E]]  # zero, E4M3 NaN, sign bit, max
    return b


def cover_grid(qt, b):
    """Sets the grid indices of a lattice type's blocks so that every grid point appears once."""
    nb = b.shape[0]
    if qt == T.IQ2_XXS:  # per 32: u32 of four 8-bit indices, then u32 signs/scale
        idx = np.arange(nb * 32) % 256
        v = b[:, 2:].reshape(nb, 8, 8)
        v[:, :, 0:4] = idx.reshape(nb, 8, 4)
    elif qt == T.IQ2_XS:  # u16: 9-bit index + 7-bit sign index
        idx = np.arange(nb * 32) % 512
        q = b[:, 2:66].copy().view(np.uint16)
        q[:] = (q & 0xFE00) | idx.reshape(nb, 32)
        b[:, 2:66] = q.view(np.uint8)
    elif qt == T.IQ2_S:  # qs[32] low bits, qh[8] two bits per group
        idx = (np.arange(nb * 32) % 1024).reshape(nb, 8, 4)
        b[:, 2:34] = (idx & 0xFF).reshape(nb, 32)
        hi = idx >> 8
        b[:, 66:74] = hi[:, :, 0] | (hi[:, :, 1] << 2) | (hi[:, :, 2] << 4) | (hi[:, :, 3] << 6)
    elif qt == T.IQ3_XXS:  # qs[64] 8-bit indices
        b[:, 2:66] = (np.arange(nb * 64) % 256).reshape(nb, 64)
    elif qt == T.IQ3_S:  # qs[64] low bits, qh[8] ninth bit per index
        idx = (np.arange(nb * 64) % 512).reshape(nb, 8, 8)
        b[:, 2:66] = (idx & 0xFF).reshape(nb, 64)
        hi = (idx >> 8).astype(np.uint8)
        b[:, 66:74] = sum(hi[:, :, k] << k for k in range(8))
    elif qt == T.IQ1_S:  # qs[32], u16 qh[8]: 3 bits per group, scale, shift sign
        idx = (np.arange(nb * 32) % 2048).reshape(nb, 8, 4)
        b[:, 2:34] = (idx & 0xFF).reshape(nb, 32)
        qh = b[:, 34:50].copy().view(np.uint16)
        hi = (idx >> 8).astype(np.uint16)
        qh[:] = (qh & 0xF000) | hi[:, :, 0] | (hi[:, :, 1] << 3) | (hi[:, :, 2] << 6) | (hi[:, :, 3] << 9)
        b[:, 34:50] = qh.view(np.uint8)
    elif qt == T.IQ1_M:  # qs[32], qh[16]: per nibble 3 index bits + shift sign
        idx = (np.arange(nb * 32) % 2048).reshape(nb, 16, 2)
        b[:, 0:32] = (idx & 0xFF).reshape(nb, 32)
        qh = b[:, 32:48]
        hi = (idx >> 8).astype(np.uint8)
        b[:, 32:48] = (qh & 0x88) | hi[:, :, 0] | (hi[:, :, 1] << 4)
    return b


LATTICE_BLOCKS = {T.IQ2_XXS: 8, T.IQ2_XS: 16, T.IQ2_S: 32, T.IQ3_XXS: 4, T.IQ3_S: 8, T.IQ1_S: 64, T.IQ1_M: 64}
TYPES = [T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K,
         T.IQ2_XXS, T.IQ2_XS, T.IQ2_S, T.IQ3_XXS, T.IQ3_S, T.IQ1_S, T.IQ1_M, T.IQ4_NL, T.IQ4_XS,
         T.TQ1_0, T.TQ2_0, T.MXFP4, T.NVFP4]

w = gguf.GGUFWriter("all_types.gguf", arch="qscope-test")
expected = {}
for qt in TYPES:
    block_size, type_size = gguf.GGML_QUANT_SIZES[qt]
    nblocks = LATTICE_BLOCKS.get(qt, 512 // block_size)
    b = random_blocks(qt, nblocks)
    if qt in LATTICE_BLOCKS:
        b = cover_grid(qt, b)
    rows = 2
    raw = b.reshape(rows, -1)
    name = f"t_{qt.name}"
    w.add_tensor(name, raw, raw_dtype=qt)
    deq = quants.dequantize(raw, qt).astype(np.float32)
    assert np.all(np.isfinite(deq)), qt.name
    expected[name] = deq.reshape(-1)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
np.savez_compressed("all_types_expected.npz", **expected)

# Inputs for the legacy quantizers: rows of 256 (8 blocks of 32; one K-quant super-block).
rows = [rng.standard_normal(256).astype(np.float32) * 0.05 for _ in range(4)]
edge = np.zeros(256, dtype=np.float32)
edge[0:32] = 0                                       # an all-zero block
edge[32:64] = 0.125                                  # all equal
edge[64:96] = np.arange(-8, 8, 0.5, dtype=np.float32)  # exact half steps of d = 1 (Q4_0)
edge[96:128] = np.linspace(-1, 1, 32, dtype=np.float32)
edge[96] = 1.0                                       # +1 and −1 tie on |x|: the first one sets the sign
edge[128:160] = rng.standard_normal(32).astype(np.float32) * 1e-6  # fp16-subnormal scales
edge[160:192] = rng.standard_normal(32).astype(np.float32) * 3e4   # scales near fp16's top
edge[192:224] = -np.abs(rng.standard_normal(32).astype(np.float32))  # all negative
edge[224:256] = np.abs(rng.standard_normal(32).astype(np.float32)) + 2  # all positive, min far from 0
rows.append(edge)
mini = minilm_weights()
rows.extend(mini.reshape(4, 256))
inp = np.stack(rows).astype(np.float32)

w = gguf.GGUFWriter("legacy_quant.gguf", arch="qscope-test")
w.add_tensor("input", inp)
for qt in [T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0]:
    raw = quants.quantize(inp, qt)
    w.add_tensor(f"t_{qt.name}", raw, raw_dtype=qt)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print({k: v.shape for k, v in expected.items()}, inp.shape)
