#!/usr/bin/env python3
"""Times qscope's forward pass against sentence-transformers (PyTorch) on the CPU.

Usage:  python3 bench/forward.py [--qscope .build/release/qscope] [--threads 1,2] [--runs 10] [--sentences 48]

Both sides encode the same sentences (the first N of samples/sentences.txt) with the bundled
all-MiniLM-L6-v2: tokenizer, encoder, mean pooling and normalisation, fp32, one batch. PyTorch gets
torch.set_num_threads(T) and the bundled folder's weights converted to fp32 (model.float()); qscope
gets --threads T. Each side runs once to warm up, then --runs times; the table shows the median and
the minimum in milliseconds. Needs torch and sentence-transformers (not needed by qscope's tests).
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def time_torch(sentences, threads, runs, model_dir):
    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(threads)
    # The bundled folder stores F16; recent transformers load a checkpoint in its own dtype, so make it fp32.
    model = SentenceTransformer(str(model_dir), device="cpu").float()
    with torch.inference_mode():
        model.encode(sentences, batch_size=len(sentences))
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            model.encode(sentences, batch_size=len(sentences))
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def time_qscope(binary, sentences_file, threads, runs):
    out = subprocess.run([binary, "embed", str(ROOT / "samples/minilm-l6-model"), "--sentences", sentences_file,
                          "--threads", str(threads), "--runs", str(runs), "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    t = json.loads(out)["forward_ms"]
    return t["median"], t["min"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--qscope", default=str(ROOT / ".build/release/qscope"))
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--sentences", type=int, default=48)
    p.add_argument("--torch-model", default=str(ROOT / "samples/minilm-l6-model"),
                   help="the sentence-transformers folder PyTorch loads (default: the bundled one)")
    a = p.parse_args()
    sentences = (ROOT / "samples/sentences.txt").read_text().splitlines()[:a.sentences]
    tmp = pathlib.Path("/tmp") / f"qscope-bench-{a.sentences}.txt"
    tmp.write_text("\n".join(sentences) + "\n")
    print(f"{len(sentences)} sentences, {a.runs} runs after a warm-up; milliseconds, median (min)\n")
    print("| threads | PyTorch (sentence-transformers) | qscope | qscope / PyTorch |")
    print("|---:|---:|---:|---:|")
    for t in [int(x) for x in a.threads.split(",")]:
        tm, tmin = time_torch(sentences, t, a.runs, a.torch_model)
        qm, qmin = time_qscope(a.qscope, str(tmp), t, a.runs)
        print(f"| {t} | {tm:.1f} ({tmin:.1f}) | {qm:.1f} ({qmin:.1f}) | {qm / tm:.2f} |")


if __name__ == "__main__":
    main()
