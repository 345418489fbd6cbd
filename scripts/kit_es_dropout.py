"""Question-token dropout for kit-es training, in plain Python (no numpy, no PyTorch), so that
tests run it on any machine with python3. scripts/train_kit_es.py calls it with numpy's
generator; the draws it consumes are the same either way."""


def question_span(examples):
    """(p, s): every Q&A example's first p tokens and the s tokens just before its answer are the
    chat template's (the longest prefix and suffix all questions share); the question is between."""
    heads = [ex["ids"][:ex["lossFrom"]] for ex in examples if ex["kind"] == "qa"]
    if not heads:
        return 0, 0
    shortest = min(len(h) for h in heads)
    p = 0
    while p < shortest and all(h[p] == heads[0][p] for h in heads):
        p += 1
    s = 0
    while s < shortest - p and all(h[-1 - s] == heads[0][-1 - s] for h in heads):
        s += 1
    return p, s


def question_keep(ex, length, span, p, uniforms):
    """Which of an example's `length` tokens to keep: each question token (between the template's
    prefix and suffix, see question_span) is left out when its uniform draw is below p; never all
    of them, and questions shorter than two tokens are left whole. `uniforms(n)` returns n draws
    in [0, 1), e.g. numpy's `rng.random` or `lambda n: [r.random() for _ in range(n)]`.

    Returns None when every token stays, else a list of booleans."""
    lo, hi = span[0], ex["lossFrom"] - span[1]
    if hi - lo < 2:
        return None
    drop = [u < p for u in uniforms(hi - lo)]
    if all(drop):
        return None
    keep = [True] * length
    keep[lo:hi] = [not d for d in drop]
    return keep
