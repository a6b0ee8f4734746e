"""Makes the `qscope compare` fixtures with the `gguf` package (gguf-py 0.19.0) and NumPy.

Run from this folder: `pip install gguf==0.19.0 numpy==2.4.6 && python3 make_compare_fixtures.py`.

1. `llama_hf/`: a tiny Llama in Hugging Face's layout (`model.safetensors` in bfloat16 and a
   `config.json`): hidden 64, 4 attention heads, 2 key-value heads (head dim 16), FFN 128, 2 layers,
   vocabulary 96, seeded random weights; plus the `rotary_emb.inv_freq` buffer old checkpoints carry,
   which llama.cpp's converter drops.
2. `llama_q4_0.gguf`, `llama_q8_0.gguf`: that model as llama.cpp's `convert_hf_to_gguf.py` writes it:
   gguf-py's tensor names (`token_embd`, `blk.N.attn_q`, ...), the Q and K projections permuted by the
   converter's `permute(w, n_head, n_head_kv)` (rows reshaped `(heads, 2, head_dim / 2)` and the last
   two axes swapped), the 2-D weights quantized by gguf-py's own Q4_0 / Q8_0 quantizers, the 1-D
   norms kept F32, `llama.attention.head_count` / `head_count_kv` in the metadata; plus a
   `rope_freqs.weight` the Hugging Face side does not have.
3. `bert_q4_0.gguf`: three tensors of `samples/minilm-l6.safetensors` (all-MiniLM-L6-v2, BERT) under
   the names llama.cpp's converter gives them: `blk.0.ffn_down.weight` (Q4_0), `blk.0.attn_q.weight`
   (Q8_0), `blk.0.attn_output_norm.weight` (F32). (`samples/minilm-l6.gguf` keeps the Hugging Face
   names, so it exercises exact-name matching instead.)
4. `llama_mismatch.gguf`: llama.cpp names whose shapes do not fit the Hugging Face model:
   `blk.0.attn_v.weight` transposed, `blk.0.ffn_up.weight` with half its rows, and a correct
   `blk.0.ffn_down.weight`.

`expected.json` holds, for each pair, what NumPy computes in float64 from the original (bfloat16 or
float32, as float32) and gguf-py's `quants.dequantize` of the stored tensor (the Q/K rows put back in
Hugging Face order by an explicit inverse permutation): SQNR, MSE, RMSE, MAE, max error, cosine,
relative error, bits per parameter and bytes; and, for the permuted tensors, the SQNR one would get
by comparing without undoing the permutation.
"""
import json
import pathlib
import struct

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import quants

here = pathlib.Path(__file__).resolve().parent
rng = np.random.default_rng(20261213)

HIDDEN, HEADS, KV_HEADS, FFN, LAYERS, VOCAB = 64, 4, 2, 128, 2, 96
HEAD_DIM = HIDDEN // HEADS


def to_bf16_bits(x):
    """float32 → bfloat16 bit patterns, round to nearest even (finite inputs)."""
    b = x.astype("<f4").view("<u4").astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
    return b.astype("<u2")


def from_bf16_bits(bits):
    return (bits.astype("<u4") << 16).view("<f4")


def write_safetensors(path, tensors, dtypes):
    """A safetensors file from {name: float32 array}, each stored as dtypes[name] ('BF16' or 'F32')."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, arr in tensors.items():
        raw = to_bf16_bits(arr).tobytes() if dtypes[name] == "BF16" else arr.astype("<f4").tobytes()
        header[name] = {"dtype": dtypes[name], "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    path.write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        raw = data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]
        assert v["dtype"] == "F32"
        out[k] = np.frombuffer(raw, dtype="<f4").reshape(v["shape"]).astype(np.float32)
    return out


def permute(w, n_head, n_head_kv):
    """llama.cpp's convert_hf_to_gguf.py `LlamaModel.permute`, in NumPy."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w, heads):
    """The inverse, written out row by row: GGUF row h·d + 2i + j holds Hugging Face row h·d + j·(d/2) + i."""
    d = w.shape[0] // heads
    out = np.empty_like(w)
    for h in range(heads):
        for j in range(2):
            for i in range(d // 2):
                out[h * d + j * (d // 2) + i] = w[h * d + 2 * i + j]
    return out


def metrics(x, y, nbytes):
    x = x.astype(np.float64).reshape(-1)
    y = y.astype(np.float64).reshape(-1)
    e = y - x
    sx2, se2 = float(np.sum(x * x)), float(np.sum(e * e))
    return {
        "count": int(x.size),
        "sqnr_db": 10 * np.log10(sx2 / se2) if se2 > 0 else None,
        "mse": se2 / x.size,
        "rmse": float(np.sqrt(se2 / x.size)),
        "mae": float(np.mean(np.abs(e))),
        "max_abs_err": float(np.max(np.abs(e))),
        "cosine": float(np.sum(x * y) / np.sqrt(sx2 * float(np.sum(y * y)))),
        "rel_fro_err": float(np.sqrt(se2 / sx2)),
        "bits_per_param": nbytes * 8 / x.size,
        "bytes": int(nbytes),
    }


def stored(qtype, arr):
    """(bytes as GGUF stores them, the values gguf-py decodes them to, byte count)."""
    if qtype == T.F32:
        return arr.astype(np.float32), arr.astype(np.float32), arr.size * 4
    if qtype == T.F16:
        h = arr.astype(np.float16)
        return h, h.astype(np.float32), arr.size * 2
    q = quants.quantize(arr.astype(np.float32), qtype)
    return q, quants.dequantize(q, qtype).astype(np.float32).reshape(arr.shape), q.nbytes


# 1. The Hugging Face model.
def normal(*shape, std=0.05):
    return (rng.standard_normal(shape) * std).astype(np.float32)


hf = {"model.embed_tokens.weight": normal(VOCAB, HIDDEN, std=0.02)}
for b in range(LAYERS):
    p = f"model.layers.{b}."
    hf[p + "self_attn.q_proj.weight"] = normal(HEADS * HEAD_DIM, HIDDEN)
    hf[p + "self_attn.k_proj.weight"] = normal(KV_HEADS * HEAD_DIM, HIDDEN)
    hf[p + "self_attn.v_proj.weight"] = normal(KV_HEADS * HEAD_DIM, HIDDEN)
    hf[p + "self_attn.o_proj.weight"] = normal(HIDDEN, HEADS * HEAD_DIM)
    hf[p + "mlp.gate_proj.weight"] = normal(FFN, HIDDEN)
    hf[p + "mlp.up_proj.weight"] = normal(FFN, HIDDEN)
    hf[p + "mlp.down_proj.weight"] = normal(HIDDEN, FFN)
    hf[p + "input_layernorm.weight"] = (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)
    hf[p + "post_attention_layernorm.weight"] = (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)
hf["model.layers.0.self_attn.rotary_emb.inv_freq"] = (1.0 / 10000 ** (np.arange(0, HEAD_DIM, 2) / HEAD_DIM)).astype(np.float32)
hf["model.norm.weight"] = (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)
hf["lm_head.weight"] = normal(VOCAB, HIDDEN, std=0.02)
# Stored as bfloat16 like a real checkpoint, except the inv_freq buffer; the originals are those values.
dtypes = {k: ("F32" if "inv_freq" in k else "BF16") for k in hf}
hf = {k: (from_bf16_bits(to_bf16_bits(v)).reshape(v.shape) if dtypes[k] == "BF16" else v) for k, v in hf.items()}
(here / "llama_hf").mkdir(exist_ok=True)
write_safetensors(here / "llama_hf" / "model.safetensors", hf, dtypes)
(here / "llama_hf" / "config.json").write_text(json.dumps({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": HIDDEN,
    "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS, "intermediate_size": FFN,
    "num_hidden_layers": LAYERS, "vocab_size": VOCAB, "torch_dtype": "bfloat16"}, indent=2) + "\n")

# llama.cpp's names for them (gguf-py's TensorNameMap, llama-hf rows).
names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
         "lm_head.weight": "output.weight"}
for b in range(LAYERS):
    for hf_part, cpp in [("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"), ("self_attn.v_proj", "attn_v"),
                         ("self_attn.o_proj", "attn_output"), ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"),
                         ("mlp.down_proj", "ffn_down"), ("input_layernorm", "attn_norm"),
                         ("post_attention_layernorm", "ffn_norm")]:
        names[f"model.layers.{b}.{hf_part}.weight"] = f"blk.{b}.{cpp}.weight"

expected = {}


def write_llama(filename, qtype):
    w = gguf.GGUFWriter(str(here / filename), arch="llama")
    w.add_name("qscope compare fixture")
    w.add_block_count(LAYERS)
    w.add_context_length(128)
    w.add_embedding_length(HIDDEN)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(2 if qtype == T.Q4_0 else 7)
    rows = []
    for hf_name, cpp in names.items():
        x = hf[hf_name]
        data = x
        if hf_name.endswith("q_proj.weight"):
            data = permute(x, HEADS, HEADS)
        elif hf_name.endswith("k_proj.weight"):
            data = permute(x, HEADS, KV_HEADS)
        t = T.F32 if x.ndim == 1 else qtype
        raw, deq, nbytes = stored(t, data)
        w.add_tensor(cpp, raw, raw_dtype=t if t != T.F32 else None)
        back = deq
        row = {"original": hf_name, "quantized": cpp, "type": t.name, "permuted": False}
        if hf_name.endswith(("q_proj.weight", "k_proj.weight")):
            heads = HEADS if "q_proj" in hf_name else KV_HEADS
            back = unpermute(deq, heads)
            assert np.array_equal(unpermute(permute(x, HEADS, heads), heads), x)
            row["permuted"] = True
            row["sqnr_db_without_unpermuting"] = metrics(x, deq, nbytes)["sqnr_db"]
        row.update(metrics(x, back, nbytes))
        rows.append(row)
    w.add_tensor("rope_freqs.weight", hf["model.layers.0.self_attn.rotary_emb.inv_freq"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    expected[filename] = {"original": "llama_hf", "tensors": rows,
                          "unmatched_original": ["model.layers.0.self_attn.rotary_emb.inv_freq"],
                          "unmatched_quantized": ["rope_freqs.weight"]}


write_llama("llama_q4_0.gguf", T.Q4_0)
write_llama("llama_q8_0.gguf", T.Q8_0)

# 3. BERT under llama.cpp's names.
minilm = read_safetensors(here / "../../../samples/minilm-l6.safetensors")
w = gguf.GGUFWriter(str(here / "bert_q4_0.gguf"), arch="bert")
w.add_name("all-MiniLM-L6-v2 layer 0 (qscope compare fixture)")
w.add_head_count(12)
w.add_embedding_length(384)
rows = []
for hf_name, cpp, t in [("encoder.layer.0.output.dense.weight", "blk.0.ffn_down.weight", T.Q4_0),
                        ("encoder.layer.0.attention.self.query.weight", "blk.0.attn_q.weight", T.Q8_0),
                        ("encoder.layer.0.attention.output.LayerNorm.weight", "blk.0.attn_output_norm.weight", T.F32)]:
    raw, deq, nbytes = stored(t, minilm[hf_name])
    w.add_tensor(cpp, raw, raw_dtype=t if t != T.F32 else None)
    row = {"original": hf_name, "quantized": cpp, "type": t.name, "permuted": False}
    row.update(metrics(minilm[hf_name], deq, nbytes))
    rows.append(row)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
expected["bert_q4_0.gguf"] = {"original": "../../../samples/minilm-l6.safetensors", "tensors": rows,
                              "unmatched_original": ["encoder.layer.4.output.dense.weight",
                                                     "embeddings.position_embeddings.weight"],
                              "unmatched_quantized": []}

# 4. Shapes that do not fit.
w = gguf.GGUFWriter(str(here / "llama_mismatch.gguf"), arch="llama")
w.add_head_count(HEADS)
w.add_head_count_kv(KV_HEADS)
v = hf["model.layers.0.self_attn.v_proj.weight"]
w.add_tensor("blk.0.attn_v.weight", np.ascontiguousarray(v.T))
w.add_tensor("blk.0.ffn_up.weight", hf["model.layers.0.mlp.up_proj.weight"][:FFN // 2])
raw, deq, nbytes = stored(T.Q8_0, hf["model.layers.0.mlp.down_proj.weight"])
w.add_tensor("blk.0.ffn_down.weight", raw, raw_dtype=T.Q8_0)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
row = {"original": "model.layers.0.mlp.down_proj.weight", "quantized": "blk.0.ffn_down.weight", "type": "Q8_0",
       "permuted": False}
row.update(metrics(hf["model.layers.0.mlp.down_proj.weight"], deq, nbytes))
expected["llama_mismatch.gguf"] = {
    "original": "llama_hf", "tensors": [row],
    "mismatched": [{"original": "model.layers.0.self_attn.v_proj.weight", "quantized": "blk.0.attn_v.weight",
                    "original_shape": [32, 64], "quantized_shape": [64, 32]},
                   {"original": "model.layers.0.mlp.up_proj.weight", "quantized": "blk.0.ffn_up.weight",
                    "original_shape": [128, 64], "quantized_shape": [64, 64]}]}

(here / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
for f in ["llama_hf/model.safetensors", "llama_q4_0.gguf", "llama_q8_0.gguf", "bert_q4_0.gguf", "llama_mismatch.gguf"]:
    print(f, (here / f).stat().st_size, "bytes")
