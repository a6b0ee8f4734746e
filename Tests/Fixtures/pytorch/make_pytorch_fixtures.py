"""Makes the PyTorch checkpoint fixtures and the values torch itself reads from them.

Run from this folder with torch installed: `python3 make_pytorch_fixtures.py` (made with torch
2.13.0+cpu, NumPy 2.4.6, Python 3.11.7). Every file is read back with
`torch.load(weights_only=True)`; `expected.json` holds, per file and tensor, the dtype name qscope
shows, the shape, and every value as a float32 bit pattern (`tensor.float()`), in row-major order.
"""
import collections
import io
import json
import zipfile

import torch

torch.manual_seed(7)
expected = {}

NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.uint16: "U16", torch.uint32: "U32", torch.uint64: "U64",
    torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2", torch.bool: "BOOL",
}


def flatten(obj, prefix=""):
    """The names qscope gives: dict keys and list indices joined with dots."""
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from flatten(v, f"{prefix}.{i}" if prefix else str(i))


def record(path, stem=None, weights_only=True):
    """Reads `path` back with torch's safe loader and records what qscope must see (protocol 4 pickles,
    which torch's safe loader does not read, are files this script has just written)."""
    obj = torch.load(path, weights_only=weights_only)
    tensors = {}
    for name, t in flatten(obj):
        entry = {"dtype": NAMES[t.dtype], "shape": list(t.shape)}
        if t.dtype != torch.bool:
            flat = t.detach().float().contiguous().reshape(-1)
            entry["bits"] = [int(b) for b in flat.view(torch.int32).tolist()]
            entry["bits"] = [b & 0xFFFFFFFF for b in entry["bits"]]
        tensors[name or stem] = entry
    expected[path] = {"order": [n or stem for n, _ in flatten(obj)], "tensors": tensors}


# A module's state dict: an OrderedDict whose _metadata attribute pickles as BUILD.
class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 6)
        self.norm = torch.nn.LayerNorm(6)
        self.head = torch.nn.Linear(6, 8, bias=False)


block = Block()
sd = block.state_dict()
w = torch.randn(6, 10)
sd["views.slice_rows"] = w[2:5]                     # a storage offset
sd["views.slice_cols"] = w[:, 3:7]                  # rows of 4 out of 10: not contiguous
sd["views.transposed"] = w.t()                      # strides (1, 10)
sd["views.every_other"] = w[::2, ::3]               # strides (20, 3)
sd["views.permuted"] = torch.randn(2, 3, 4).permute(2, 0, 1)
sd["views.expanded"] = torch.randn(3, 1).expand(3, 5)  # a zero stride
sd["views.scalar"] = torch.tensor(2.5)
sd["views.empty"] = torch.zeros(0, 4)
sd["tied.a"] = w                                    # the same tensor under two names
sd["tied.b"] = w
sd["head.weight"] = block.fc.weight.detach().t()[:6, :6].clone()
for dt in [torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16, torch.int8,
           torch.uint8, torch.uint16, torch.uint32, torch.float8_e4m3fn, torch.float8_e5m2, torch.bool]:
    base = torch.randn(3, 5) * 3
    if dt in (torch.uint8, torch.uint16, torch.uint32):
        base = base.abs()
    sd[f"dtypes.{str(dt).removeprefix('torch.')}"] = base.to(dt)
sd["dtypes.bf16_transposed"] = torch.randn(4, 3).to(torch.bfloat16).t()
sd["param"] = torch.nn.Parameter(torch.randn(4))   # _rebuild_parameter
torch.save(sd, "state_dict.pt")
record("state_dict.pt")

# A training checkpoint: tensors under "model" and "optimizer", other values skipped.
ckpt = {
    "epoch": 3,
    "model": collections.OrderedDict([("fc.weight", torch.randn(4, 4)), ("fc.bias", torch.randn(4))]),
    "optimizer": {"state": {0: {"step": torch.tensor(10.0), "exp_avg": torch.randn(4, 4)}},
                  "param_groups": [{"lr": 0.001, "params": [0]}]},
    "notes": "strings and numbers are skipped",
}
torch.save(ckpt, "checkpoint.pt")
record("checkpoint.pt")

# Protocol 4: FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL.
torch.save({"w": torch.randn(3, 4), "v": torch.randn(4, 3).t()}, "protocol4.pt", pickle_protocol=4)
record("protocol4.pt", weights_only=False)

# A bare tensor: named after the file's stem.
torch.save(torch.randn(2, 3), "bare.pt")
record("bare.pt", stem="bare")

# Sharded, as transformers writes pytorch_model.bin shards and their index.
shard1 = {"layers.0.weight": torch.randn(5, 7), "layers.0.bias": torch.randn(5)}
shard2 = {"layers.1.weight": torch.randn(7, 5).t()}
torch.save(shard1, "pytorch_model-00001-of-00002.bin")
torch.save(shard2, "pytorch_model-00002-of-00002.bin")
with open("pytorch_model.bin.index.json", "w") as f:
    json.dump({"metadata": {"total_size": 4 * (35 + 5 + 35)},
               "weight_map": {"layers.0.weight": "pytorch_model-00001-of-00002.bin",
                              "layers.0.bias": "pytorch_model-00001-of-00002.bin",
                              "layers.1.weight": "pytorch_model-00002-of-00002.bin"}}, f, indent=2)
record("pytorch_model-00001-of-00002.bin")
record("pytorch_model-00002-of-00002.bin")


def repack(src, dst, widths=None, compress=False):
    """Rewrites an archive under the folder name `dst`'s stem: its members deflated, or (given each
    storage key's element width) its storages byte-swapped with byteorder 'big', which is what a
    big-endian machine writes and torch swaps back on loading."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            inner = info.filename[info.filename.index("/"):]
            if widths and inner == "/byteorder":
                data = b"big"
            if widths and inner.startswith("/data/"):
                width = widths[inner.removeprefix("/data/")]
                data = b"".join(data[i:i + width][::-1] for i in range(0, len(data), width))
            zout.writestr(zipfile.ZipInfo(dst.removesuffix(".pt") + inner), data,
                          compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)


# Deflated members (a re-packed archive): inflated on reading.
small = {"a": torch.randn(4, 6), "b": torch.randn(6, 4).to(torch.float16).t()}
torch.save(small, "small.pt")
repack("small.pt", "deflated.pt", compress=True)
record("deflated.pt")

# Big-endian storages: key "0" is F32 (4 bytes), key "1" is F16 (2 bytes), in save order.
repack("small.pt", "bigendian.pt", widths={"0": 4, "1": 2})
record("bigendian.pt")
record("small.pt")

# The legacy format (before 1.6): refused with a clear message.
torch.save({"w": torch.randn(2, 2)}, "legacy.pt", _use_new_zipfile_serialization=False)

with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
