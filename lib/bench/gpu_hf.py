"""Python transformers on CUDA, the GPU benchmark's reference: loads a forge model folder's
model.safetensors (fp32 on disk) as fp16 on the GPU, eager PyTorch (no torch.compile, no CUDA
graphs, default attention), and generates greedily from the same prompt token ids the kit used,
exactly `--new` tokens. Timed like the kit: prefill = request to first new token, decode = new
tokens after the first / time from the first to the last. Prints one line: BENCH_RESULT {json}.

Usage: python3 lib/bench/gpu_hf.py --model DIR --ids PROMPT_IDS.json --new 128
"""
import argparse
import json
import resource
import time

import torch
from transformers import AutoModelForCausalLM
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--new", type=int, default=128)
    a = ap.parse_args()
    ids_list = json.load(open(a.ids))
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float16, device_map="cuda")
    model.eval()
    torch.cuda.synchronize()
    load_ms = (time.perf_counter() - t0) * 1000
    ids = torch.tensor([ids_list], device="cuda")
    with torch.inference_mode():
        generate(model, ids, 4)  # warm-up (cuBLAS handles, kernels' first launch)
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
        },
    }), flush=True)


if __name__ == "__main__":
    main()
