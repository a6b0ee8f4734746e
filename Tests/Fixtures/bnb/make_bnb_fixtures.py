"""Makes bitsandbytes checkpoints the way users get them, and bitsandbytes' own dequantization of them.

Run from this folder: `python3 make_bnb_fixtures.py` with torch 2.13.0+cpu, bitsandbytes 0.50.2,
transformers 5.24.0 and safetensors 0.8.0 (CPU only; no network: the models are built here).

Writes:
- `nf4-dq-bf16.safetensors`, `fp4-dq-bf16.safetensors`, `nf4-f32.safetensors`, `fp4-f16.safetensors`:
  a one-layer Llama (hidden 64, intermediate 320: the MLP weights have 320 blocks of 64, so two
  nested blocks of 256, the second partial) whose Linear layers transformers quantized with
  `BitsAndBytesConfig(load_in_4bit=True, ...)` and wrote with `save_pretrained`.
- `int8-f16.safetensors`: the same model loaded with `load_in_8bit=True` (Linear8bitLt) and saved.
- `edge.safetensors`: tensors quantized with `bitsandbytes.functional.quantize_4bit` and laid out as
  `QuantState.as_dict(packed=True)` under `NAME.` (as `Params4bit` saves them): an odd last dimension,
  partial blocks, block sizes 32 and 128, double quantization with a partial nested block, and FP4
  values whose nibble is the negative zero.
- `sharded/`: the NF4 model written by `save_pretrained(max_shard_size=...)`, and `split/`: the same
  tensors by hand in two shards with one weight's side tensors in the other shard.
- `*-expected.safetensors`: `dequantize_4bit` (CPU) of the 4-bit weights (for the models, the
  `down_proj` and `q_proj` weights), read back with `QuantState.from_dict` from the saved tensors, in
  the dtype bitsandbytes returns (the quant state's); for int8, `int8_vectorwise_dequant(CB, SCB)`
  (float32) of the same two weights.

Every row length here is a multiple of the block size or not a multiple of 16: bitsandbytes 0.50.2's
AVX-512 CPU kernel indexes absmax by row and misreads it for other shapes (the scalar kernel, the
CUDA kernel and the PyTorch fallback do not), so those shapes would record its mistake. Which CPU
kernel runs also decides the sign of FP4's zero code (nibble 8): the AVX-512 kernel and the PyTorch
fallback (an odd last dimension) give +0.0, as the stored `quant_map` has, the scalar kernel -0.0.
"""
import json
import os
import shutil
import tempfile

import bitsandbytes as bnb
import bitsandbytes.functional as F
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, BitsAndBytesConfig, LlamaConfig, LlamaForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))


def base_model(dtype, folder):
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=32, hidden_size=64, intermediate_size=320, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=False)
    m = LlamaForCausalLM(cfg)
    with torch.no_grad():
        # Wider weights than the default init, with a few large columns, so blocks differ in absmax.
        for name, p in m.named_parameters():
            if p.dim() == 2:
                p.normal_(0, 0.05)
                p[:, ::7] *= 4
    m.to(dtype).save_pretrained(folder)


def load_tensors(path):
    out = {}
    with safe_open(path, "pt") as f:
        for k in f.keys():
            out[k] = f.get_tensor(k)
    return out


KEEP = ("down_proj", "q_proj")


def dequantize_4bit_all(tensors, only=None):
    """bitsandbytes' dequantize_4bit of every weight that carries a quant state (or those naming `only`)."""
    out = {}
    for key in sorted(tensors):
        if ".quant_state.bitsandbytes__" not in key:
            continue
        name = key.split(".quant_state.")[0]
        if only and not any(k in name for k in only):
            continue
        qs = {k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + ".") and k != name}
        state = F.QuantState.from_dict(qs, device=torch.device("cpu"))
        out[name] = F.dequantize_4bit(tensors[name], state).contiguous()
    return out


def quantized_checkpoint(name, source_dtype, config):
    with tempfile.TemporaryDirectory() as tmp:
        base_model(source_dtype, os.path.join(tmp, "base"))
        q = AutoModelForCausalLM.from_pretrained(os.path.join(tmp, "base"), quantization_config=config,
                                                 device_map="cpu")
        q.save_pretrained(os.path.join(tmp, "q"))
        shutil.copy(os.path.join(tmp, "q", "model.safetensors"), os.path.join(HERE, name + ".safetensors"))
        return q


def four_bit(name, source_dtype, quant_type, double_quant):
    cfg = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=quant_type,
                             bnb_4bit_use_double_quant=double_quant, bnb_4bit_compute_dtype=source_dtype)
    q = quantized_checkpoint(name, source_dtype, cfg)
    t = load_tensors(os.path.join(HERE, name + ".safetensors"))
    save_file(dequantize_4bit_all(t, KEEP), os.path.join(HERE, name + "-expected.safetensors"))
    return q


def int8(name):
    quantized_checkpoint(name, torch.float16, BitsAndBytesConfig(load_in_8bit=True))
    t = load_tensors(os.path.join(HERE, name + ".safetensors"))
    exp = {}
    for k in sorted(t):
        if k.endswith(".SCB") and any(s in k for s in KEEP):
            layer = k[: -len(".SCB")]
            exp[layer + ".weight"] = F.int8_vectorwise_dequant(t[layer + ".weight"], t[k]).contiguous()
    save_file(exp, os.path.join(HERE, name + "-expected.safetensors"))


def edge():
    g = torch.Generator().manual_seed(7)
    cases = [
        # name, shape, dtype, quant_type, blocksize, compress_statistics
        ("odd.weight", (7, 9), torch.float16, "fp4", 64, False),
        ("negzero.weight", (4, 32), torch.float32, "fp4", 32, False),
        ("small.weight", (3, 70), torch.bfloat16, "nf4", 32, True),
        ("wide.weight", (300, 128), torch.float16, "nf4", 128, True),
        ("fp4dq.weight", (40, 100), torch.float32, "fp4", 64, True),
    ]
    tensors, expected = {}, {}
    for name, shape, dtype, qt, bs, cs in cases:
        x = torch.randn(shape, generator=g) * 0.1
        if name == "negzero.weight":
            # Tiny negatives next to a large value encode as FP4's negative zero (nibble 8).
            x[:, 0] = 1.0
            x[:, 1:8] = -1e-5
            x[:, 8:12] = 1e-5
        x = x.to(dtype)
        packed, state = F.quantize_4bit(x, blocksize=bs, compress_statistics=cs, quant_type=qt)
        tensors[name] = packed
        for k, v in state.as_dict(packed=True).items():
            tensors[name + "." + k] = v
    save_file(tensors, os.path.join(HERE, "edge.safetensors"), metadata={"format": "pt"})
    t = load_tensors(os.path.join(HERE, "edge.safetensors"))
    save_file(dequantize_4bit_all(t), os.path.join(HERE, "edge-expected.safetensors"))


def sharded(q):
    folder = os.path.join(HERE, "sharded")
    shutil.rmtree(folder, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        q.save_pretrained(tmp, max_shard_size="24KB")
        os.makedirs(folder)
        for f in os.listdir(tmp):
            if f.endswith(".safetensors") or f.endswith(".index.json"):
                shutil.copy(os.path.join(tmp, f), os.path.join(folder, f))
    # The split case: down_proj's weight in the first shard, its side tensors in the second.
    split = os.path.join(HERE, "split")
    shutil.rmtree(split, ignore_errors=True)
    os.makedirs(split)
    t = load_tensors(os.path.join(HERE, "nf4-dq-bf16.safetensors"))
    w = "model.layers.0.mlp.down_proj.weight"
    first = {k: v for k, v in t.items() if k == w or not k.startswith(w)}
    first = {k: v for k, v in first.items() if "self_attn" not in k}
    second = {k: v for k, v in t.items() if k not in first}
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    save_file(first, os.path.join(split, names[0]), metadata={"format": "pt"})
    save_file(second, os.path.join(split, names[1]), metadata={"format": "pt"})
    index = {"metadata": {"total_size": sum(v.numel() * v.element_size() for v in t.values())},
             "weight_map": {**{k: names[0] for k in first}, **{k: names[1] for k in second}}}
    with open(os.path.join(split, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    torch.set_num_threads(1)
    q = four_bit("nf4-dq-bf16", torch.bfloat16, "nf4", True)
    four_bit("fp4-dq-bf16", torch.bfloat16, "fp4", True)
    four_bit("nf4-f32", torch.float32, "nf4", False)
    four_bit("fp4-f16", torch.float16, "fp4", False)
    int8("int8-f16")
    edge()
    sharded(q)
    print("bitsandbytes", bnb.__version__, "torch", torch.__version__)
