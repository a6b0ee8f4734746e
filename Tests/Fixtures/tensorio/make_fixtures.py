"""Makes the TensorIO fixtures: small arrays in every supported layout, and their expected values.

Run from this folder: `python3 make_fixtures.py` (NumPy only). `expected.json`
holds each array's shape and its values as float32 bit patterns, computed here
by NumPy, so the Swift tests check conversion bit for bit against NumPy.
"""
import json
import struct

import numpy as np

rng = np.random.default_rng(7)
base = (rng.standard_normal((3, 5)) * 10).astype(np.float64)
expected = {}


def record(name, arr):
    f = np.asarray(arr, dtype=np.float32)
    expected[name] = {"shape": list(f.shape), "bits": [int(b) for b in f.reshape(-1).view(np.uint32)]}


for code in ["<f4", "<f2", "<f8", "|i1", "|u1", "<i2", "<u2", "<i4", "<i8", ">f4", ">i2"]:
    src = np.abs(base) if "u" in code else base
    arr = src.astype(np.dtype(code))
    name = "a_" + code.replace("<", "le_").replace(">", "be_").replace("|", "")
    np.save(name + ".npy", arr)
    record(name, arr.astype(np.float64))

fortran = np.asfortranarray(base.astype(np.float32))
np.save("fortran.npy", fortran)
record("fortran", fortran)
np.save("scalar.npy", np.float32(3.5))
record("scalar", np.float32(3.5))
cube = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
np.save("cube.npy", cube)
record("cube", cube)
# bfloat16 as ml_dtypes saves it: raw two-byte voids holding the upper half of a float32.
bf_bits = (base.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
with open("bf16_void.npy", "wb") as f:
    np.lib.format.write_array_header_1_0(f, {"descr": "<V2", "fortran_order": False, "shape": (3, 5)})
    f.write(bf_bits.tobytes())
record("bf16_void", (bf_bits.astype(np.uint32) << 16).view(np.float32))
# Versions 2.0 and 3.0 of the header.
for version in [(2, 0), (3, 0)]:
    with open(f"v{version[0]}.npy", "wb") as f:
        np.lib.format.write_array(f, base.astype(np.float32), version=version)
    record(f"v{version[0]}", base.astype(np.float32))
np.save("objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)

# A safetensors file with one tensor of every numeric dtype.
tensors = []
for st, np_dtype in [("F64", "<f8"), ("F32", "<f4"), ("F16", "<f2"), ("I8", "|i1"), ("U8", "|u1"), ("I16", "<i2"),
                     ("I32", "<i4"), ("I64", "<i8")]:
    src = np.abs(base) if st == "U8" else base
    arr = src.astype(np_dtype)
    tensors.append((f"t_{st}", st, arr.tobytes(), list(arr.shape)))
    record(f"t_{st}", arr.astype(np.float64))
bf = (base.astype(np.float32).view(np.uint32) >> 16).astype("<u2")
tensors.append(("t_BF16", "BF16", bf.tobytes(), [3, 5]))
record("t_BF16", (bf.astype(np.uint32) << 16).view(np.float32))
# Every FP8 byte, decoded from the format definitions.
allbytes = np.arange(256, dtype=np.uint8)


def e4m3(b):
    s = -1.0 if b & 0x80 else 1.0
    e, m = (b >> 3) & 15, b & 7
    if e == 15 and m == 7:
        return float("nan")
    return s * (m / 8 * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))


def e5m2(b):
    s = -1.0 if b & 0x80 else 1.0
    e, m = (b >> 2) & 31, b & 3
    if e == 31:
        return s * float("inf") if m == 0 else float("nan")
    return s * (m / 4 * 2.0 ** -14 if e == 0 else (1 + m / 4) * 2.0 ** (e - 15))


tensors.append(("t_F8_E4M3", "F8_E4M3", allbytes.tobytes(), [256]))
record("t_F8_E4M3", [e4m3(int(b)) for b in allbytes])
tensors.append(("t_F8_E5M2", "F8_E5M2", allbytes.tobytes(), [256]))
record("t_F8_E5M2", [e5m2(int(b)) for b in allbytes])
tensors.append(("t_scalar", "F32", np.float32(2.25).tobytes(), []))
record("t_scalar", np.float32(2.25))
tensors.append(("t_empty", "F32", b"", [0, 4]))
tensors.append(("t_bool", "BOOL", bytes([1, 0, 1]), [3]))
header = {"__metadata__": {"format": "pt", "note": "qscope fixture"}}
offset = 0
for name, dt, data, shape in tensors:
    header[name] = {"dtype": dt, "shape": shape, "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open("all_dtypes.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for _, _, data, _ in tensors:
        f.write(data)

with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)

# .npz archives: stored (savez) and deflated (savez_compressed), several arrays each.
npz_arrays = {"weights": base.astype(np.float32), "half": base.astype(np.float16),
              "counts": np.abs(base).astype(np.int64), "fortran": np.asfortranarray(base.astype(np.float32))}
np.savez("stored.npz", **npz_arrays)
np.savez_compressed("deflated.npz", **npz_arrays)
for key, arr in npz_arrays.items():
    record(f"npz_{key}", arr.astype(np.float64))
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
