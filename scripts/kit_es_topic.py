"""The kit's answer checks in Python, for the training script's choice among variants (no
numpy, no PyTorch): lib/forge/topic.ts's "is the answer on the question's topic", with the
rule (stopwords, decline phrases) the dataset carries, and the distinct-trigram share of
lib/forge/quality.ts. tests/kit_es_augment_test.ts checks both agree with the
TypeScript on the corpus.
"""
import re


def topic_stems(text, stopwords):
    """lib/forge/topic.ts's topicStems: runs of letters/digits (lower case) with a letter and
    three characters or more, or two with a digit, minus the stopwords, cut to five
    characters."""
    words = re.findall(r"[^\W_]+", text.lower())
    return {w[:5] for w in words
            if (len(w) >= 3 or (len(w) == 2 and re.search(r"\d", w)))
            and re.search(r"[^\W\d_]", w) and w not in stopwords}


def on_topic(qid, question, answer, rule):
    """lib/forge/topic.ts's isOnTopic, with the rule the dataset carries (`topic_rule`)."""
    if qid.startswith(rule["outOfScopePrefix"]):
        a = answer.lower()
        return any(re.search(r"(?<![^\W\d_])" + re.escape(p) + r"(?![^\W\d_])", a)
                   for p in rule["declines"])
    stop = set(rule["stopwords"])
    return bool(topic_stems(question, stop) & topic_stems(answer, stop))


def words(text):
    """lib/forge/quality.ts's words: lower-case runs of letters and digits, without the runs
    that have a digit."""
    return [w for w in re.findall(r"[^\W_]+", text.lower()) if not re.search(r"\d", w)]


def distinct_trigrams(texts):
    """lib/forge/quality.ts's distinctTrigramRatio: distinct word trigrams ÷ all trigrams,
    pooled over the texts (1 when there are none)."""
    distinct, total = 0, 0
    for t in texts:
        w = words(t)
        grams = [tuple(w[i:i + 3]) for i in range(len(w) - 2)]
        distinct += len(set(grams))
        total += len(grams)
    return distinct / total if total else 1.0
