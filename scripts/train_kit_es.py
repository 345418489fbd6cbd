#!/usr/bin/env python3
"""Trains kit-es, the kit's small Spanish course model (a Llama with grouped KV heads).

Input: the dataset that `deno task kit-es-data` writes (.cache/kit_es/dataset.json): token ids
of the training and validation examples, already rendered with the model's own chat template.
Output (--out): model.safetensors (fp16, Hugging Face LlamaForCausalLM tensor names),
model.safetensors.sha256, config.json, train_log.json (train/val loss per step, tokens seen,
wall time, hardware) and samples.json (greedy answers to validation questions).

    python3 scripts/train_kit_es.py --data .cache/kit_es/dataset.json --out out/kit_es_model

Needs PyTorch and transformers and a CUDA GPU: on one NVIDIA H200 the 4 000 steps of the
committed model took 218 s while two other trainings shared the GPU, the whole script 248 s
(2026-12-02). Without a GPU it stops with a message; `--cpu` trains on the CPU anyway (slow:
about a minute per step of 16 sequences on 2 cores, so more than a day).
The defaults are the settings of the committed model, chosen with parallel sweeps
(data/kit_es/model/train_log.json keeps them in "sweep" and "previous_sweeps"): the dataset's
made phrasings of the training questions (train_aug; `--no-aug` leaves them out), loss on the
answers only, question-token dropout 0.1 (`--q-drop`), 4 000 steps, the weights of the last
step. The committed weights are seed 99, the best of seeds 1234 / 7 / 99 by the share of
greedy answers on the question's topic over all 644 validation questions (0.742 / 0.758 /
0.766; so 0.766 is biased up by that choice, the mean 0.755 is what a retrain should expect).
On an earlier corpus (1 239 groups) question-token dropout gained about as much as one
reworded answer moved the mean of three seeds: its gain is inside the seed spread, its lower
validation loss is not. More layers (10, or 12 narrower) did not beat the seed spread. The
validation loss is high on purpose (the model repeats course sentences with confidence); it
bottoms out early because the training tokens are few for 15.7 M parameters, and the early
weights give shapeless text.
`--dry-run` checks the data pipeline only (needs numpy, not PyTorch).
Fixed seed: the same dataset and options give the same batches.
"""
import argparse
import hashlib
import json
import math
import os
import random
import sys
import time

import numpy as np

from kit_es_dropout import question_keep, question_span
from kit_es_topic import distinct_trigrams, on_topic

# The kit-es shape (kept equal to the forge preset `kit-es` in lib/forge/presets.ts).
SHAPE = dict(
    hidden_size=384,
    intermediate_size=1024,
    num_hidden_layers=8,
    num_attention_heads=6,
    num_key_value_heads=2,
    max_position_embeddings=512,
    rms_norm_eps=1e-5,
    rope_theta=10000.0,
)
SEED = 1234
IGNORE = -100


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Entrena kit-es (Llama pequeño del kit).")
    p.add_argument("--data", default=".cache/kit_es/dataset.json")
    p.add_argument("--out", default="out/kit_es_model")
    p.add_argument("--steps", type=int, default=4000, help="pasos de entrenamiento (máximo)")
    p.add_argument("--batch", type=int, default=16, help="secuencias por paso")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--q-drop", type=float, default=0.1,
                   help="probabilidad de quitar cada token de la pregunta al entrenar (0 = nunca)")
    p.add_argument("--qa-loss", choices=["answer", "all"], default="answer",
                   help="pérdida en las respuestas solamente o en toda la conversación")
    p.add_argument("--eval-every", type=int, default=25)
    p.add_argument("--select", choices=["val", "last"], default="last",
                   help="pesos guardados: los de menor pérdida de validación o los del último paso "
                        "(más entrenados: repiten mejor las respuestas del corpus)")
    p.add_argument("--max-minutes", type=float, default=9.0, help="tope de tiempo de entrenamiento")
    p.add_argument("--variants", default="",
                   help='JSON: lista de variantes a comparar, p. ej. [{"dropout":0.2}, '
                        '{"seed":7}, {"num_hidden_layers":10}] (opciones, semilla o forma); '
                        "se guarda la elegida por --choose")
    p.add_argument("--samples", type=int, default=12, help="preguntas de validación a responder")
    p.add_argument("--choose", choices=["val", "topic"], default="val",
                   help="con --variants: la de menor pérdida de validación, o la que responde "
                        "en el tema de la pregunta más veces (todas las preguntas de validación, "
                        "regla de lib/forge/topic.ts; solo entre las que no se repiten)")
    p.add_argument("--no-aug", action="store_true",
                   help="sin las formulaciones hechas por regla (train_aug del dataset)")
    p.add_argument("--tokenizer", default="data/kit_es/model/tokenizer.json",
                   help="para imprimir las respuestas de muestra como texto")
    p.add_argument("--cpu", action="store_true", help="entrenar en CPU (lento)")
    p.add_argument("--compile", action="store_true", help="torch.compile (más rápido en GPU)")
    p.add_argument("--dry-run", action="store_true", help="solo comprobar los datos (sin PyTorch)")
    return p.parse_args(argv)


# --------------------------------------------------------------------------- data (numpy only)

def load_dataset(path):
    if not os.path.exists(path):
        sys.exit(f"Error: no existe {path}. Prepáralo antes con `deno task kit-es-data`.")
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    for key in ("vocab_size", "context", "train", "val"):
        if key not in data:
            sys.exit(f"Error: {path} no es un dataset de kit-es (falta «{key}»).")
    return data


def example_targets(ex, qa_loss):
    """Token ids and per-token loss mask (1 = predict this token) of one example."""
    ids = np.asarray(ex["ids"], dtype=np.int64)
    mask = np.ones(len(ids), dtype=np.int8)
    mask[0] = 0  # <s> is never predicted
    if ex["kind"] == "qa" and qa_loss == "answer":
        mask[: ex["lossFrom"]] = 0
    return ids, mask


def drop_question_tokens(ids, mask, ex, span, p, rng):
    """Word dropout on the question: each of its tokens is left out with probability p (never
    all of them), so the model answers from the question's content, not its exact wording."""
    keep = question_keep(ex, len(ids), span, p, rng.random)
    if keep is None:
        return ids, mask
    keep = np.asarray(keep, dtype=bool)
    return ids[keep], mask[keep]


def epoch_blocks(examples, qa_loss, context, rng, q_drop=0.0, span=(0, 0)):
    """One epoch: shuffled examples concatenated, cut into blocks of context+1 tokens; with
    q_drop > 0, each Q&A example's question tokens are dropped at that rate (see
    drop_question_tokens).

    Returns (tokens [n, context+1], mask [n, context+1]); mask[i, j] says whether token j is a
    prediction target. The last partial block is dropped.
    """
    order = rng.permutation(len(examples))
    ids, masks = [], []
    for i in order:
        a, m = example_targets(examples[i], qa_loss)
        if q_drop > 0 and examples[i]["kind"] == "qa":
            a, m = drop_question_tokens(a, m, examples[i], span, q_drop, rng)
        ids.append(a)
        masks.append(m)
    ids = np.concatenate(ids)
    masks = np.concatenate(masks)
    n = (len(ids) - 1) // context
    if n == 0:
        sys.exit("Error: el dataset es más corto que un bloque de contexto.")
    # block k = tokens [k*context, (k+1)*context] (overlap of one token for the shift)
    idx = np.arange(n)[:, None] * context + np.arange(context + 1)[None, :]
    return ids[idx], masks[idx]


def training_examples(data, aug):
    """The training examples: the corpus's, plus its questions' made phrasings when `aug`."""
    return data["train"] + (data.get("train_aug", []) if aug else [])


def answer_quality(model, data, device, decode):
    """Greedy answers (48 tokens) to every validation question: share on topic, distinct
    trigrams, and the answers."""
    rule = data.get("topic_rule")
    questions = data.get("val_questions", [])
    outs = greedy_batch(model, [q["prompt_ids"] for q in questions], device, data["eos_id"])
    answers = [{"id": q["id"], "question": q["question"], "generated": decode(o) or ""}
               for q, o in zip(questions, outs)]
    # The batched tokens against greedy()'s, one prompt at a time, on the first 16 questions.
    alone = [greedy(model, q["prompt_ids"], device, data["eos_id"]) for q in questions[:16]]
    same_as_alone = sum(a == b for a, b in zip(alone, outs)) / max(1, len(alone))
    hits = [on_topic(a["id"], a["question"], a["generated"], rule) for a in answers] if rule else []
    return {"on_topic": sum(hits) / len(hits) if hits else None,
            "distinct_trigrams": distinct_trigrams([a["generated"] for a in answers]),
            "batched_equal_alone": same_as_alone, "answers": answers}


def val_batches(examples, context, batch):
    """Validation: each example on its own (truncated to context), loss on its targets only
    (answers for Q&A, every token after <s> for prose), right-padded batches."""
    items = []
    for ex in examples:
        ids, mask = example_targets(ex, "answer")
        items.append((ids[:context], mask[:context]))
    out = []
    for k in range(0, len(items), batch):
        chunk = items[k:k + batch]
        width = max(len(a) for a, _ in chunk)
        toks = np.zeros((len(chunk), width), dtype=np.int64)
        mask = np.zeros((len(chunk), width), dtype=np.int8)
        att = np.zeros((len(chunk), width), dtype=np.int64)
        kind = np.array([examples[k + j]["kind"] == "qa" for j in range(len(chunk))])
        for j, (a, m) in enumerate(chunk):
            toks[j, :len(a)] = a
            mask[j, :len(a)] = m
            att[j, :len(a)] = 1
        out.append((toks, mask, att, kind))
    return out


def dry_run(args):
    data = load_dataset(args.data)
    rng = np.random.default_rng(SEED)
    toks, mask = epoch_blocks(training_examples(data, not args.no_aug), args.qa_loss,
                              data["context"], rng)
    assert toks.shape[1] == data["context"] + 1
    assert toks.max() < data["vocab_size"] and toks.min() >= 0
    assert (toks[:-1, -1] == toks[1:, 0]).all(), "blocks must overlap by one token"
    vb = val_batches(data["val"], data["context"], args.batch)
    n_val = sum(int(m[:, 1:].sum()) for _, m, _, _ in vb)
    print(json.dumps({
        "train_blocks": int(toks.shape[0]),
        "train_tokens_per_epoch": int(toks.size),
        "train_targets_per_epoch": int(mask[:, 1:].sum()),
        "val_examples": len(data["val"]),
        "val_targets": n_val,
        "vocab_size": data["vocab_size"],
    }))


# --------------------------------------------------------------------------- model (PyTorch)

def variant_shape(opts):
    """SHAPE with the variant's overrides (any SHAPE key, e.g. num_hidden_layers)."""
    return {k: opts.get(k, v) for k, v in SHAPE.items()}


def build_model(vocab_size, dropout, shape):
    import torch.nn.functional as F
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=vocab_size, tie_word_embeddings=False, attention_bias=False,
                         mlp_bias=False, hidden_act="silu", bos_token_id=1, eos_token_id=2,
                         head_dim=shape["hidden_size"] // shape["num_attention_heads"], **shape)
    model = LlamaForCausalLM(config)

    # Residual dropout through hooks, so the module and its tensor names stay HF's Llama.
    def drop(module, _inputs, output):
        if isinstance(output, tuple):
            return (F.dropout(output[0], dropout, module.training),) + tuple(output[1:])
        return F.dropout(output, dropout, module.training)

    if dropout > 0:
        model.model.embed_tokens.register_forward_hook(drop)
        for layer in model.model.layers:
            layer.self_attn.register_forward_hook(drop)
            layer.mlp.register_forward_hook(drop)
    return model, config


def masked_loss(logits, toks, mask):
    """Mean cross-entropy over target positions: logits[:, t] predicts toks[:, t+1]."""
    import torch.nn.functional as F

    target = toks[:, 1:].masked_fill(mask[:, 1:] == 0, IGNORE)
    return F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]),
                           target.reshape(-1), ignore_index=IGNORE, reduction="sum"), \
        (target != IGNORE).sum()


def evaluate(model, batches, device, autocast):
    import torch

    model.eval()
    sums = {"all": [0.0, 0], "qa": [0.0, 0], "prose": [0.0, 0]}
    with torch.no_grad(), autocast():
        for toks, mask, att, kind in batches:
            t = torch.from_numpy(toks).to(device)
            m = torch.from_numpy(mask).to(device)
            logits = model(input_ids=t, attention_mask=torch.from_numpy(att).to(device)).logits
            for name, rows in (("qa", kind), ("prose", ~kind)):
                if rows.any():
                    r = torch.from_numpy(rows).to(device)
                    s, n = masked_loss(logits[r], t[r], m[r])
                    sums[name][0] += s.item()
                    sums[name][1] += n.item()
    sums["all"] = [sums["qa"][0] + sums["prose"][0], sums["qa"][1] + sums["prose"][1]]
    model.train()
    return {k: (v[0] / v[1] if v[1] else float("nan")) for k, v in sums.items()}


def greedy(model, prompt_ids, device, eos_id, new_tokens=48):
    import torch

    model.eval()
    ids = list(prompt_ids)
    with torch.no_grad():
        for _ in range(new_tokens):
            x = torch.tensor([ids[-512:]], device=device)
            nxt = int(model(input_ids=x).logits[0, -1].float().argmax())
            ids.append(nxt)
            if nxt == eos_id:
                break
    model.train()
    return ids[len(prompt_ids):]


def greedy_batch(model, prompts, device, eos_id, new_tokens=48, batch=128):
    """greedy() for many prompts at once: left-padded batches with their attention mask and
    positions, each row stopped at its end of text. Same tokens as greedy() up to float
    rounding (only the quality pass of every variant uses it; the saved samples use greedy())."""
    import torch

    model.eval()
    outs = []
    with torch.no_grad():
        for s in range(0, len(prompts), batch):
            chunk = prompts[s:s + batch]
            width = max(len(p) for p in chunk)
            x = torch.zeros((len(chunk), width), dtype=torch.long, device=device)
            att = torch.zeros((len(chunk), width), dtype=torch.long, device=device)
            for i, p in enumerate(chunk):
                x[i, width - len(p):] = torch.tensor(p, device=device)
                att[i, width - len(p):] = 1
            done = torch.zeros(len(chunk), dtype=torch.bool, device=device)
            new = []
            for _ in range(new_tokens):
                pos = (att.cumsum(1) - 1).clamp(min=0)
                logits = model(input_ids=x, attention_mask=att, position_ids=pos).logits[:, -1]
                nxt = logits.float().argmax(-1)
                new.append(nxt)
                done |= nxt == eos_id
                x = torch.cat([x, nxt[:, None]], 1)
                att = torch.cat([att, torch.ones_like(nxt)[:, None]], 1)
                if bool(done.all()):
                    break
            for row in torch.stack(new, 1).tolist():
                outs.append(row[: row.index(eos_id) + 1] if eos_id in row else row)
    model.train()
    return outs


def train_variant(args, data, variant, device, log):
    import torch

    opts = {"dropout": args.dropout, "qa_loss": args.qa_loss, "lr": args.lr,
            "weight_decay": args.weight_decay, "steps": args.steps, "aug": not args.no_aug,
            "seed": SEED, "q_drop": args.q_drop, **variant}
    train = training_examples(data, opts["aug"])
    span = question_span(train)
    seed = opts["seed"]
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model, config = build_model(data["vocab_size"], opts["dropout"], variant_shape(opts))
    model.to(device)
    params = sum(p.numel() for p in model.parameters())
    fwd = torch.compile(model) if args.compile else model
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optim = torch.optim.AdamW([{"params": decay, "weight_decay": opts["weight_decay"]},
                               {"params": no_decay, "weight_decay": 0.0}],
                              lr=opts["lr"], betas=(0.9, 0.95))
    steps, warmup = opts["steps"], 60

    def lr_at(s):
        if s < warmup:
            return opts["lr"] * (s + 1) / warmup
        q = (s - warmup) / max(1, steps - warmup)
        return opts["lr"] * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, q))))

    cuda = device.type == "cuda"

    def autocast():
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=cuda)

    vbatches = val_batches(data["val"], data["context"], 64)
    rec = {"variant": opts, "params": params, "train_examples": len(train),
           "train_tokens_per_epoch": sum(len(e["ids"]) for e in train), "steps": [], "evals": []}
    log["runs"].append(rec)
    best = {"val_loss": float("inf")}
    blocks, bmask, cursor, epoch = None, None, 0, 0
    tokens_seen, t0 = 0, time.time()
    first = evaluate(model, vbatches, device, autocast)
    rec["evals"].append({"step": 0, **{f"val_loss_{k}": v for k, v in first.items()}})
    print(f"[{opts}] {params / 1e6:.2f} M parámetros; pérdida de validación inicial "
          f"{first['all']:.3f} (ln V = {math.log(data['vocab_size']):.3f})", flush=True)
    for step in range(steps):
        if blocks is None or cursor + args.batch > len(blocks):
            blocks, bmask = epoch_blocks(train, opts["qa_loss"], data["context"], rng,
                                         opts["q_drop"], span)
            cursor, epoch = 0, epoch + 1
        toks = torch.from_numpy(blocks[cursor:cursor + args.batch]).to(device)
        mask = torch.from_numpy(bmask[cursor:cursor + args.batch]).to(device)
        cursor += args.batch
        for g in optim.param_groups:
            g["lr"] = lr_at(step)
        with autocast():
            logits = fwd(input_ids=toks[:, :-1]).logits
        target = toks[:, 1:].masked_fill(mask[:, 1:] == 0, IGNORE)
        loss = torch.nn.functional.cross_entropy(
            logits.float().reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=IGNORE)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        tokens_seen += toks[:, :-1].numel()
        elapsed = time.time() - t0
        rec["steps"].append({"step": step + 1, "train_loss": round(loss.item(), 4),
                             "lr": round(lr_at(step), 7), "epoch": epoch, "tokens_seen": tokens_seen,
                             "time_s": round(elapsed, 2)})
        last = step + 1 == steps or elapsed > args.max_minutes * 60
        if (step + 1) % args.eval_every == 0 or last:
            v = evaluate(model, vbatches, device, autocast)
            rec["evals"].append({"step": step + 1, "time_s": round(elapsed, 2),
                                 **{f"val_loss_{k}": round(x, 5) for k, x in v.items()}})
            print(f"  paso {step + 1}: train {loss.item():.3f}  val {v['all']:.3f} "
                  f"(qa {v['qa']:.3f}, prosa {v['prose']:.3f})  época {epoch}  "
                  f"{elapsed:.0f} s", flush=True)
            if v["all"] < best["val_loss"] or (args.select == "last" and last):
                best = {"val_loss": v["all"], "step": step + 1,
                        "state": {k: t.detach().to("cpu", copy=True)
                                  for k, t in model.state_dict().items()}}
        if last:
            if elapsed > args.max_minutes * 60:
                print(f"  tope de {args.max_minutes} min alcanzado en el paso {step + 1}")
            break
    rec["wall_s"] = round(time.time() - t0, 1)
    rec["tokens_seen"] = tokens_seen
    rec["best_step"] = best["step"]
    rec["best_val_loss"] = best["val_loss"]
    model.load_state_dict(best["state"])
    return model, config, rec


def text_decoder(tokenizer_path):
    """ids → text with the kit's tokenizer, or None for every input when `tokenizers` is absent
    (the samples then stay as ids; the kit decodes them later)."""
    try:
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(tokenizer_path)
        return lambda ids: tok.decode(ids, skip_special_tokens=True)
    except Exception as e:
        print(f"(sin tokenizador para imprimir muestras: {e})")
        return lambda ids: None


def write_outputs(args, data, model, config, log, device):
    import torch
    from safetensors.torch import load_file, save_file
    from transformers import LlamaForCausalLM

    os.makedirs(args.out, exist_ok=True)
    state = {k: t.detach().to("cpu", torch.float16).contiguous()
             for k, t in model.state_dict().items()}
    path = os.path.join(args.out, "model.safetensors")
    save_file(state, path, metadata={"format": "pt"})
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(path + ".sha256", "w") as f:
        f.write(f"{digest}  model.safetensors\n")
    cfg = config.to_dict()
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)

    # Self-check: the file loads into a fresh HF Llama (strict names) and gives the same logits.
    fresh = LlamaForCausalLM(config)
    fresh.load_state_dict({k: v.float() for k, v in load_file(path).items()}, strict=True)
    fresh.to(device).eval()
    model.eval()
    x = torch.tensor([data["val"][0]["ids"][:64]], device=device)
    with torch.no_grad():
        ref = model.to(torch.float32)(input_ids=x).logits
        got = fresh(input_ids=x).logits
    log["reload_max_abs_diff"] = float((ref - got).abs().max())

    decode = text_decoder(args.tokenizer)
    samples = []
    for q in data.get("val_questions", [])[: args.samples]:
        out = greedy(fresh, q["prompt_ids"], device, data["eos_id"])
        text = decode(out)
        samples.append({"id": q["id"], "question": q["question"], "answer": q["answer"],
                        "generated_ids": out, "generated": text})
        if text is not None:
            print(f"  P: {q['question']}\n  R: {text}", flush=True)
    with open(os.path.join(args.out, "samples.json"), "w", encoding="utf-8") as f:
        json.dump(samples, f, ensure_ascii=False, indent=1)
    log["sha256"] = digest
    log["bytes"] = os.path.getsize(path)
    with open(os.path.join(args.out, "train_log.json"), "w", encoding="utf-8") as f:
        json.dump(log, f, ensure_ascii=False)
    print(f"Escrito {path} ({log['bytes'] / 1e6:.1f} MB, sha256 {digest[:16]}…); "
          f"recarga: |Δlogits| máx {log['reload_max_abs_diff']:.2e}")


def main(argv=None):
    args = parse_args(argv)
    if args.dry_run:
        return dry_run(args)
    try:
        import torch
        import transformers
    except ImportError as e:
        sys.exit(f"Error: falta {e.name}. Este script necesita PyTorch y transformers "
                 "(pip install torch transformers safetensors).")
    if not torch.cuda.is_available() and not args.cpu:
        sys.exit("No hay GPU CUDA en esta máquina: entrenar kit-es en CPU tarda horas. Usa una "
                 "máquina con GPU (p. ej. Colab con GPU) o pasa --cpu para entrenar igualmente "
                 "en CPU (lento).")
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    data = load_dataset(args.data)
    t0 = time.time()
    log = {
        "hardware": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "torch": torch.__version__, "transformers": transformers.__version__,
        "vocab_size": data["vocab_size"],
        "context": data["context"], "batch": args.batch,
        "train_tokens_per_epoch": sum(len(e["ids"]) for e in data["train"]),
        "val_tokens": sum(len(e["ids"]) for e in data["val"]),
        "runs": [],
    }
    variants = json.loads(args.variants) if args.variants else [{}]
    decode = text_decoder(args.tokenizer)
    best = None

    def score(rec):
        # Lower is better. "topic": most answers on topic among those that do not loop.
        q = rec.get("quality") or {}
        if args.choose == "topic" and q.get("on_topic") is not None:
            return (0 if q["distinct_trigrams"] >= 0.85 else 1, -q["on_topic"])
        return (0, rec["best_val_loss"])

    for v in variants:
        model, config, rec = train_variant(args, data, v, device, log)
        # Answers per variant, to compare more than the loss (and to log the chosen one's).
        try:
            quality = answer_quality(model, data, device, decode)
        except Exception as e:  # the trained weights matter more than this measurement
            print(f"  Error al medir las respuestas ({e!r}); se guardan los pesos igualmente.",
                  flush=True)
            quality = {"on_topic": None, "distinct_trigrams": 0.0, "batched_equal_alone": 0.0,
                       "answers": []}
        rec["quality"] = {k: quality[k]
                          for k in ("on_topic", "distinct_trigrams", "batched_equal_alone")}
        rec["samples"] = quality["answers"]
        print(f"  [{rec['variant']}] en tema {quality['on_topic']}, trigramas distintos "
              f"{quality['distinct_trigrams']:.3f}, respuestas en lote iguales a una a una "
              f"{quality['batched_equal_alone']:.2f}", flush=True)
        if best is None or score(rec) < score(best[2]):
            best = (model, config, rec)
        else:
            del model
    model, config, rec = best
    log["chosen"] = rec["variant"]
    log["seed"] = rec["variant"]["seed"]
    log["shape"] = variant_shape(rec["variant"])
    log["chosen_by"] = args.choose if len(variants) > 1 else "only variant"
    log["params"] = rec["params"]
    near = rec["steps"][max(0, rec["best_step"] - 10):rec["best_step"]]
    log["final_train_loss"] = round(sum(x["train_loss"] for x in near) / len(near), 4)
    log["best_step"] = rec["best_step"]
    log["final_val_loss"] = rec["best_val_loss"]
    log["train_wall_s"] = rec["wall_s"]
    write_outputs(args, data, model, config, log, device)
    log["total_wall_s"] = round(time.time() - t0, 1)
    with open(os.path.join(args.out, "train_log.json"), "w", encoding="utf-8") as f:
        json.dump(log, f, ensure_ascii=False)
    print(f"Listo en {log['total_wall_s']} s: {rec['params'] / 1e6:.2f} M parámetros, "
          f"mejor val {rec['best_val_loss']:.3f} en el paso {rec['best_step']} "
          f"({rec['variant']}).")


if __name__ == "__main__":
    main()
