"""Python transformers on CUDA, the GPU benchmark's reference: loads a forge model folder's
model.safetensors (fp32 on disk) as fp16 on the GPU and generates greedily from the same prompt
token ids the kit used, exactly `--new` tokens. Eager PyTorch by default (default attention,
dynamic cache); with --compile, the strongest baseline transformers documents for decoding: a
static KV cache and the forward compiled by torch.compile (mode "reduce-overhead": CUDA
graphs), compiled during the warm-up generation. Timed like the kit: prefill = request to first
new token, decode = new tokens after the first / time from the first to the last. With
--bandwidth, the GPU's memory bandwidth is measured first (a 1 GiB device-to-device copy, best
of 10: bytes read + written / time). Prints one line: BENCH_RESULT {json}.

Usage: python3 lib/bench/gpu_hf.py --model DIR --ids PROMPT_IDS.json --new 128
         [--compile] [--bandwidth]
"""
import argparse
import json
import resource
import time

import torch
import transformers
from transformers import AutoModelForCausalLM

try:
    from transformers import CompileConfig
except ImportError:  # older layouts
    from transformers.generation.configuration_utils import CompileConfig
from transformers.generation.streamers import BaseStreamer


class Clock(BaseStreamer):
    """Records when each new token reaches the host (the first put() is the prompt)."""

    def __init__(self):
        self.times = []
        self.seen_prompt = False

    def put(self, value):
        if not self.seen_prompt:
            self.seen_prompt = True
            return
        self.times.append(time.perf_counter())

    def end(self):
        pass


def generate(model, ids, new):
    clock = Clock()
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new,
                         min_new_tokens=new, do_sample=False, streamer=clock,
                         pad_token_id=0)
    torch.cuda.synchronize()
    return start, clock.times, out.shape[1] - ids.shape[1]


def copy_bandwidth(n_bytes=1 << 30, repeats=10):
    """Best device-to-device copy rate, counting the bytes read and written."""
    a = torch.empty(n_bytes // 2, dtype=torch.float16, device="cuda").fill_(1)
    b = torch.empty_like(a)
    best = 0.0
    for _ in range(repeats):
        torch.cuda.synchronize()
        t = time.perf_counter()
        b.copy_(a)
        torch.cuda.synchronize()
        best = max(best, 2 * n_bytes / (time.perf_counter() - t))
    del a, b
    torch.cuda.empty_cache()
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--new", type=int, default=128)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--dtype", choices=["fp16", "fp32"], default="fp16")
    ap.add_argument("--bandwidth", action="store_true")
    a = ap.parse_args()
    bandwidth = copy_bandwidth() if a.bandwidth else None
    ids_list = json.load(open(a.ids))
    t0 = time.perf_counter()
    torch_dtype = torch.float32 if a.dtype == "fp32" else torch.float16
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch_dtype, device_map="cuda")
    model.eval()
    if a.compile:
        # transformers compiles the forward itself when the cache is static (CompileConfig:
        # fullgraph, mode "reduce-overhead" = CUDA graphs) and marks each CUDA-graph step, which
        # a forward wrapped by hand in torch.compile does not: measured on the H200 (transformers
        # 5.17, torch 2.11), that fails with "accessing tensor output of CUDAGraphs that has been
        # overwritten" inside the static cache's index_copy_.
        model.generation_config.cache_implementation = "static"
        model.generation_config.compile_config = CompileConfig(
            fullgraph=True, mode="reduce-overhead")
    torch.cuda.synchronize()
    load_ms = (time.perf_counter() - t0) * 1000
    ids = torch.tensor([ids_list], device="cuda")
    with torch.inference_mode():
        t1 = time.perf_counter()
        # Warm-up (cuBLAS handles, first launches, compilation). Compiled: the same length as
        # the measured run, so the static cache (and the compiled graphs) keep their shapes.
        generate(model, ids, a.new if a.compile else 4)
        warmup_ms = (time.perf_counter() - t1) * 1000
        compiled = getattr(model, "_compiled_call", None) is not None
        torch.cuda.reset_peak_memory_stats()
        start, times, n = generate(model, ids, a.new)
    prefill_ms = (times[0] - start) * 1000
    decode_ms = (times[-1] - times[0]) * 1000
    print("BENCH_RESULT " + json.dumps({
        "ok": True,
        "loadMs": load_ms,
        "promptTokens": len(ids_list),
        "newTokens": int(n),
        "prefillMs": prefill_ms,
        "prefillTokensPerSecond": len(ids_list) * 1000 / prefill_ms,
        "decodeMs": decode_ms,
        "decodeTokensPerSecond": (len(times) - 1) * 1000 / decode_ms if decode_ms > 0 else None,
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "extra": {
            "torch": torch.__version__,
            "attn": str(getattr(model.config, "_attn_implementation", None)),
            "maxMemoryAllocatedBytes": torch.cuda.max_memory_allocated(),
            "gpu": torch.cuda.get_device_name(0),
            "transformers": transformers.__version__,
            "compiled": compiled,
            "cache": "static" if a.compile else "dynamic",
            "warmupMs": warmup_ms,
            "copyBandwidthBytesPerSecond": bandwidth,
        },
    }), flush=True)


if __name__ == "__main__":
    main()
