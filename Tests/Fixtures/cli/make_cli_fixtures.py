"""Makes the fixtures of the command-line tests and their expected numbers.

Run from this folder with NumPy installed: `python3 make_cli_fixtures.py`.
The expected metrics are computed here with an independent NumPy
implementation of blockwise NF4 and int4 quantization, so
the Swift tests compare qscope against a second implementation, not itself.
"""
import json
import struct

import numpy as np

NF4 = np.array([
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0], dtype=np.float32)


def nf4_blockwise(x, bs):
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    mids = ((NF4[:-1] + NF4[1:]) * np.float32(0.5)).astype(np.float32)
    for s in range(0, flat.size, bs):
        blk = flat[s:s + bs]
        am = np.float32(np.abs(blk).max())
        scaled = (blk * (np.float32(1) / am)).astype(np.float32)
        idx = np.searchsorted(mids, scaled, side="left")
        out[s:s + bs] = NF4[idx] * am
    return out.reshape(x.shape)


# bitsandbytes' AbnormalFloat table, `get_4bit_type("af4", blocksize=64)`, in its own code order
# (the source lists the levels ascending and reverses them: code 0 is +1, code 15 is -1).
AF4 = np.array([
    -1.0, -0.69441008, -0.51243739, -0.3736951, -0.25607552, -0.14982478, -0.04934812, 0.0,
    0.04273164, 0.12934483, 0.21961274, 0.31675666, 0.42563882, 0.55496234, 0.72424863, 1.0][::-1], dtype=np.float32)


def af4_blockwise(x, bs):
    """Nearest AF4 level of x / block absmax (a value exactly between two levels takes the lower one);
    returns the dequantized values and the count of each code in bitsandbytes' order."""
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    levels = np.sort(AF4)
    mids = ((levels[:-1] + levels[1:]) * np.float32(0.5)).astype(np.float32)
    usage = np.zeros(16, dtype=np.int64)
    for s in range(0, flat.size, bs):
        blk = flat[s:s + bs]
        am = np.float32(np.abs(blk).max())
        scaled = (blk * (np.float32(1) / am)).astype(np.float32)
        idx = np.searchsorted(mids, scaled, side="left")
        out[s:s + bs] = levels[idx] * am
        codes = 15 - idx  # sorted ascending → bitsandbytes' descending code order
        usage += np.bincount(codes, minlength=16)
    return out.reshape(x.shape), usage


def int4_blockwise(x, bs):
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    for s in range(0, flat.size, bs):
        blk = flat[s:s + bs]
        am = np.float32(np.abs(blk).max())
        mult = np.float32(7) / am
        q = np.clip(np.round(blk * mult), -7, 7).astype(np.float32)
        out[s:s + bs] = (q * am) * (np.float32(1) / np.float32(7))
    return out.reshape(x.shape)


def metrics(x, y):
    x = x.astype(np.float64).reshape(-1)
    y = y.astype(np.float64).reshape(-1)
    e = y - x
    return {
        "mse": float(np.mean(e * e)),
        "mae": float(np.mean(np.abs(e))),
        "max_abs_err": float(np.max(np.abs(e))),
        "sqnr_db": float(10 * np.log10(np.sum(x * x) / np.sum(e * e))),
        "cosine": float(np.dot(x, y) / np.sqrt(np.dot(x, x) * np.dot(y, y))),
        "rel_fro_err": float(np.sqrt(np.sum(e * e) / np.sum(x * x))),
    }


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, arr, dtype in tensors:
        data = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


rng = np.random.default_rng(20261122)
w = rng.standard_normal((64, 128)).astype(np.float32) * np.float32(0.05)
w[:, 17] *= 40  # an outlier column
np.save("weights.npy", w)

h = rng.standard_normal((32, 96)).astype(np.float16)
b = rng.standard_normal((256,)).astype(np.float32)
write_safetensors("model.safetensors", [("layer.weight", w, "F32"), ("layer.half", h, "F16"), ("layer.bias", b, "F32")],
                  {"format": "pt"})

expected = {
    "weights_nf4_b64": metrics(w, nf4_blockwise(w, 64)),
    "weights_int4_b128": metrics(w, int4_blockwise(w, 128)),
    "weights_af4_b64": dict(metrics(w, af4_blockwise(w, 64)[0]), code_usage=af4_blockwise(w, 64)[1].tolist()),
    "half_nf4_b64": metrics(h.astype(np.float32), nf4_blockwise(h.astype(np.float32), 64)),
    "weights_stats": {
        "mean": float(w.astype(np.float64).mean()), "std": float(w.astype(np.float64).std()),
        "min": float(w.min()), "max": float(w.max()),
        "kurtosis": float(((w.astype(np.float64) - w.mean()) ** 4).mean() / w.astype(np.float64).var() ** 2 - 3),
    },
    "weights_outlier_column": 17,
}
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=2)
print(json.dumps(expected, indent=2))
