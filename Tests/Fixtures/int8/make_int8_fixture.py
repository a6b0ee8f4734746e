"""Makes the expected numbers of the LLM.int8() matmul study on the shipped MiniLM samples.

Run from this folder with NumPy installed: `python3 make_int8_fixture.py`.
It reads `samples/minilm-l6-activations.safetensors` (A, the inputs of the FFN output
projections) and `samples/minilm-l6.safetensors` (W, their weights) with its own safetensors
reader, and computes Y = A·Wᵀ three ways, independently of qscope, with NumPy only:

- reference: products and sums in float64, rounded once to float32. The sum of each dot product
  runs in four interleaved float64 accumulators (elements i ≡ 0, 1, 2, 3 mod 4, each in ascending
  order), combined as (s0 + s1) + (s2 + s3), so the rounding to float32 is reproducible;
- int8 vector-wise (threshold 0): A and W quantized by rows, row statistic = max |x| of the row,
  code = clip(round_half_even(f32(x · f32(127 / stat))), −127, 127) (0 when stat is 0);
  Ŷ = ((f32(Σ qA·qW) · (statA · statW)) · f32(1 / (127·127))), the integer sum exact, the rest
  in float32;
- LLM.int8() at threshold T > 0: the outlier columns are the columns of A holding any |a| ≥ T.
  A's row statistic is the max |a| of the row over the elements with |a| < T, and the codes of
  the outlier columns (every row) are 0; W is quantized as above. The outlier part is
  Σ over the outlier columns, in ascending order, of f16(a)·f16(w) accumulated in float32
  (each fp16 product is exact in float32), added in float32 to the int8 part.
  T = 0 means no decomposition: the same numbers as int8 vector-wise.

Errors against the reference, in float64: rel_fro_err = ‖Y − Ŷ‖_F / ‖Y‖_F (NumPy's pairwise
sums), max_abs_err = max |Y − Ŷ|. Writes `expected.json` beside this script.
"""
import hashlib
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ACTIVATIONS = "samples/minilm-l6-activations.safetensors"
WEIGHTS = "samples/minilm-l6.safetensors"
LAYERS = [
    ("encoder.layer.0", "encoder.layer.0.output.dense.input", "encoder.layer.0.output.dense.weight"),
    ("encoder.layer.4", "encoder.layer.4.output.dense.input", "encoder.layer.4.output.dense.weight"),
]
THRESHOLDS = [0.0, 3.0, 6.0, 10.0]
INV_127_SQUARED = np.float32(1.0 / (127.0 * 127.0))


def read_safetensors(path, name):
    """One F32 tensor of a safetensors file: u64 LE header length, JSON header, data."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    entry = header[name]
    assert entry["dtype"] == "F32", entry
    begin, end = entry["data_offsets"]
    data = np.frombuffer(blob, dtype="<f4", count=(end - begin) // 4, offset=8 + n + begin)
    return data.reshape(entry["shape"]).astype(np.float32)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def vectorwise(x, threshold):
    """Row statistics, int8 codes (as int64) and outlier columns of `x` ([rows, cols])."""
    a = np.abs(x)
    if threshold > 0:
        big = a >= np.float32(threshold)
        outliers = np.flatnonzero(big.any(axis=0))
        stats = np.where(big, np.float32(0), a).max(axis=1).astype(np.float32)
    else:
        big = np.zeros(x.shape, dtype=bool)
        outliers = np.array([], dtype=np.int64)
        stats = a.max(axis=1).astype(np.float32)
    safe = np.where(stats > 0, stats, np.float32(1))
    mult = np.where(stats > 0, np.float32(127) / safe, np.float32(0)).astype(np.float32)
    q = np.rint((x * mult[:, None]).astype(np.float32))
    q = np.clip(q, -127, 127)
    q[big] = 0
    q[:, outliers] = 0
    return stats, q.astype(np.int64), outliers


def reference(a, w):
    """A·Wᵀ in float64 with four interleaved accumulators, rounded once to float32."""
    a64, w64 = a.astype(np.float64), w.astype(np.float64)
    inner = a.shape[1]
    lanes = [np.zeros((a.shape[0], w.shape[0]), dtype=np.float64) for _ in range(4)]
    full = inner - inner % 4
    for i in range(0, full, 4):
        for k in range(4):
            lanes[k] += a64[:, i + k, None] * w64[None, :, i + k]
    for i in range(full, inner):
        lanes[0] += a64[:, i, None] * w64[None, :, i]
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])).astype(np.float32)


def int8_product(a, threshold, w_codes, w_stats):
    stats, codes, outliers = vectorwise(a, threshold)
    acc = codes @ w_codes.T  # exact: int64
    y = (acc.astype(np.float32) * (stats[:, None] * w_stats[None, :])).astype(np.float32)
    return (y * INV_127_SQUARED).astype(np.float32), outliers


def half_part(a, w, outliers):
    a16 = a.astype(np.float16).astype(np.float32)
    w16 = w.astype(np.float16).astype(np.float32)
    s = np.zeros((a.shape[0], w.shape[0]), dtype=np.float32)
    for c in outliers:  # ascending
        s = (s + a16[:, c, None] * w16[None, :, c]).astype(np.float32)
    return s


def errors(y, ref):
    e = y.astype(np.float64) - ref.astype(np.float64)
    se = float(np.sum(e * e))
    sr = float(np.sum(ref.astype(np.float64) ** 2))
    rel = (se / sr) ** 0.5 if sr > 0 else (0.0 if se == 0 else float("inf"))
    return {"rel_fro_err": rel, "max_abs_err": float(np.max(np.abs(e)))}


def study(a, w):
    ref = reference(a, w)
    w_stats, w_codes, _ = vectorwise(w, 0.0)
    y8, _ = int8_product(a, 0.0, w_codes, w_stats)
    plain = errors(y8, ref)
    # How much the accumulation order matters: the reference against a plain float64 matmul.
    loose = (a.astype(np.float64) @ w.astype(np.float64).T).astype(np.float32)
    order_diffs = int(np.count_nonzero(loose != ref))
    results = []
    for t in THRESHOLDS:
        y, outliers = int8_product(a, t, w_codes, w_stats)
        if len(outliers):
            y = (y + half_part(a, w, outliers)).astype(np.float32)
        results.append({
            "threshold": t,
            "outlier_columns": [int(c) for c in outliers],
            "fraction_16bit": len(outliers) / a.shape[1],
            "int8_vectorwise": plain,
            "llm_int8": errors(y, ref),
        })
    return results, order_diffs, ref


def main():
    files = {p: os.path.join(ROOT, p) for p in (ACTIVATIONS, WEIGHTS)}
    layers = []
    for layer, a_name, w_name in LAYERS:
        a = read_safetensors(files[ACTIVATIONS], a_name)
        w = read_safetensors(files[WEIGHTS], w_name)
        assert a.shape[1] == w.shape[1]
        results, order_diffs, ref = study(a, w)
        layers.append({
            "layer": layer,
            "activations": a_name,
            "weight": w_name,
            "tokens": a.shape[0],
            "in_features": a.shape[1],
            "out_features": w.shape[0],
            "activation_absmax": float(np.abs(a).max()),
            "reference_fro_norm": float(np.sqrt(np.sum(ref.astype(np.float64) ** 2))),
            "reference_elements_off_by_order": order_diffs,
            "results": results,
        })
        print(f"{layer}: {a.shape} x {w.shape}ᵀ, reference elements that differ from a plain float64 "
              f"matmul rounded to float32: {order_diffs}")
        for r in results:
            print(f"  T={r['threshold']:>4}: {len(r['outlier_columns']):3d} columns "
                  f"({r['fraction_16bit']:.5f}), int8 {r['int8_vectorwise']['rel_fro_err']:.6e} / "
                  f"{r['int8_vectorwise']['max_abs_err']:.6e}, llm.int8 {r['llm_int8']['rel_fro_err']:.6e} / "
                  f"{r['llm_int8']['max_abs_err']:.6e}")
    out = {
        "generator": "make_int8_fixture.py",
        "numpy": np.__version__,
        "inputs": {p: {"sha256": sha256(files[p])} for p in (ACTIVATIONS, WEIGHTS)},
        "thresholds": THRESHOLDS,
        "definitions": {
            "product": "Y = A·Wᵀ; A is [tokens, in_features] (activations), W is [out_features, in_features]",
            "reference": "f32 of the float64 dot product: float64 products, four interleaved float64 accumulators "
                         "(i mod 4, ascending), combined as (s0+s1)+(s2+s3), rounded once to float32",
            "int8_vectorwise": "threshold 0; per row stat = max|x|; code = clip(round_half_even(f32(x*f32(127/stat))), "
                               "-127, 127), 0 when stat = 0; Yhat = f32(f32(f32(sum qA*qW) * f32(statA*statW)) "
                               "* f32(1/(127*127))), the integer sum exact",
            "outlier_columns": "columns of A holding any |a| >= T (T > 0), ascending; none at T = 0",
            "fraction_16bit": "len(outlier_columns) / in_features",
            "llm_int8": "A quantized by rows with stat = max|a| over |a| < T and every outlier column's codes 0; "
                        "W as in int8_vectorwise; plus, in float32, the sum over the outlier columns in ascending "
                        "order of f16(a)*f16(w) accumulated in float32 (W's outlier part from the original W "
                        "rounded to fp16); T = 0 gives int8_vectorwise",
            "rel_fro_err": "sqrt(sum((Yhat-Y)^2) / sum(Y^2)) in float64 against the reference (NumPy's pairwise "
                           "sums: a sequential float64 sum agrees to about 1e-13 relative)",
            "max_abs_err": "max |Yhat - Y| in float64 against the reference",
            "reference_elements_off_by_order": "how many reference elements differ when the float64 dot products "
                                               "are summed in NumPy's own order instead (a measure of how much the "
                                               "order matters; 0 or a few ulps)",
        },
        "layers": layers,
    }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
