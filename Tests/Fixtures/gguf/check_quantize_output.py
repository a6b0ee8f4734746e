"""Checks `qscope quantize -o X.gguf` against the gguf package: for every datatype GGUF can hold,
gguf-py's reader opens qscope's file and `gguf.quants.dequantize` of its tensor equals, bit for bit,
the dequantized values qscope writes beside its safetensors output.

Run from the repository root after `swift build`, with the `gguf` package installed:
    python3 Tests/Fixtures/gguf/check_quantize_output.py [path/to/qscope]
Prints one line per datatype; exits 1 on any difference. (The Swift test suite checks the same
property with qscope's own GGUF reader, which is bit-exact with gguf-py on every block type.)
"""
import json
import struct
import subprocess
import sys
import tempfile

import gguf
import numpy as np

QSCOPE = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/qscope"
SAMPLE = "samples/minilm-l6.safetensors"
TENSOR = "encoder.layer.0.output.dense.weight"
DATATYPES = "q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k q4_k q5_k q6_k iq4_nl fp16 bf16".split()


def safetensors_tensor(path, name):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    t = header[name]
    b, e = t["data_offsets"]
    return np.frombuffer(data[8 + n + b:8 + n + e], dtype=np.float32)


failed = False
with tempfile.TemporaryDirectory() as tmp:
    for dt in DATATYPES:
        g, s = f"{tmp}/{dt}.gguf", f"{tmp}/{dt}.safetensors"
        for out, extra in ((g, []), (s, ["--with-dequantized"])):
            subprocess.run([QSCOPE, "quantize", SAMPLE, "--tensor", TENSOR, "--dtype", dt, "-o", out] + extra,
                           check=True, capture_output=True)
        t = gguf.GGUFReader(g).tensors[0]
        y = gguf.quants.dequantize(t.data, t.tensor_type).reshape(-1).astype(np.float32)
        ref = safetensors_tensor(s, TENSOR + ".dequantized")
        same = np.array_equal(y.view(np.uint32), ref.view(np.uint32))
        failed |= not same
        print(f"{dt:8} {t.tensor_type.name:8} {'bit-exact' if same else 'DIFFERENT'}")
sys.exit(1 if failed else 0)
