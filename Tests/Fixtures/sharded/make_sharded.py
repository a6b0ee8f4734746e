"""Makes a sharded safetensors checkpoint (two shards and the index) as transformers writes them.

Run from this folder: `python3 make_sharded.py` (NumPy only).
"""
import json
import struct

import numpy as np


def write(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, arr in tensors:
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
        blobs.append(arr.astype("<f4").tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


rng = np.random.default_rng(3)
a = rng.standard_normal((16, 64)).astype(np.float32)
b = rng.standard_normal((64, 16)).astype(np.float32)
c = rng.standard_normal((32,)).astype(np.float32)
write("model-00001-of-00002.safetensors", [("layers.0.weight", a), ("layers.0.bias", c)])
write("model-00002-of-00002.safetensors", [("layers.1.weight", b)])
index = {"metadata": {"total_size": a.nbytes + b.nbytes + c.nbytes},
         "weight_map": {"layers.0.weight": "model-00001-of-00002.safetensors",
                        "layers.0.bias": "model-00001-of-00002.safetensors",
                        "layers.1.weight": "model-00002-of-00002.safetensors"}}
with open("model.safetensors.index.json", "w") as f:
    json.dump(index, f, indent=2)
np.save("expected_layers_1_weight.npy", b)
