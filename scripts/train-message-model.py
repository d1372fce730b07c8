#!/usr/bin/env python3
"""Trains the message checker's statistical layer (Sources/BuyerGuardMessaging/Resources/message-model.bin).

Offline only; nothing here runs at build or check time. Needs scikit-learn (pip install
scikit-learn==1.9.1). Trains on the training corpus ONLY: the words come from the checker itself,
exported by a test that reads the training files and never a held-out set:

    BUYERGUARD_EXPORT_MODEL_WORDS=/tmp/model-words.json swift test --filter exportModelWords
    python3 scripts/train-message-model.py /tmp/model-words.json

One logistic regression per rule over hashed features (the same as MessageModel.features in
Swift): per word the word, the pair with the previous word of its sentence, and the character 3-,
4- and 5-grams of " word "; digits read as 0; 32-bit FNV-1a; 2^BITS slots; a message's counts
divided by the square root of its number of features (at least MIN_FEATURES). The threshold of each rule is chosen on
5-fold out-of-fold scores: among the thresholds at which the model alone keeps at least
MIN_PRECISION on that rule, the one where the rules OR the model reach the best F1 on that rule;
where no threshold beats the rules alone, the model never speaks for that rule. Writes the model, and score vectors that a Swift test checks against.
"""
import json
import math
import struct
import sys

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

BITS = 16
# A message's counts are divided by the square root of its number of features, but never of fewer
# than this: a one-line message would otherwise weigh its one cue many times over.
MIN_FEATURES = 256
RULES = ["marketing", "review-manipulation", "opt-out"]
C = 16.0
MIN_PRECISION = 0.95
MODEL = "Sources/BuyerGuardMessaging/Resources/message-model.bin"
VECTORS = "Tests/BuyerGuardTests/Fixtures/messages/model-vectors.json"


def fnv(data, h=2166136261):
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def features(words):
    """[(slot hash, word index)] as MessageModel.features computes them."""
    out = []
    prev, prev_sentence = b"", -1
    for index, (text, sentence) in enumerate(words):
        word = bytes(0x30 if 0x30 <= b <= 0x39 else b for b in text.encode("utf-8"))
        padded = b" " + word + b" "
        out.append((fnv(b"\x01" + word), index))
        if sentence == prev_sentence:
            out.append((fnv(b"\x02" + prev + b" " + word), index))
        for n in (3, 4, 5):
            for start in range(0, len(padded) - n + 1):
                out.append((fnv(padded[start:start + n]), index))
        prev, prev_sentence = word, sentence
    return out


def matrix(records):
    mask = (1 << BITS) - 1
    rows, cols, vals = [], [], []
    for i, record in enumerate(records):
        feats = features(record["words"])
        norm = 1 / math.sqrt(max(len(feats), MIN_FEATURES))
        counts = {}
        for h, _ in feats:
            counts[h & mask] = counts.get(h & mask, 0) + 1
        for slot, count in counts.items():
            rows.append(i); cols.append(slot); vals.append(count * norm)
    return csr_matrix((vals, (rows, cols)), shape=(len(records), 1 << BITS))


def prf(flags, labels):
    tp = sum(1 for f, y in zip(flags, labels) if f and y)
    fp = sum(1 for f, y in zip(flags, labels) if f and not y)
    fn = sum(1 for f, y in zip(flags, labels) if not f and y)
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0), tp, fp, fn


def f1(p, r):
    return 2 * p * r / (p + r) if p + r else 0.0


def main(path):
    records = json.load(open(path))
    X = matrix(records)
    models = []
    for rule in RULES:
        y = np.array([rule in r["expected"] for r in records])
        by_rules = [rule in r["rules"] for r in records]
        oof = np.zeros(len(records))
        for train, test in StratifiedKFold(5, shuffle=True, random_state=13).split(X, y):
            model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
            model.fit(X[train], y[train])
            oof[test] = model.decision_function(X[test])
        p0, r0, *_ = prf(by_rules, y)
        threshold = None
        best = f1(p0, r0)
        for t in sorted(set(np.round(oof, 3)), reverse=False):
            if prf(oof >= t, y)[0] < MIN_PRECISION:
                continue
            combined = f1(*prf([a or s >= t for a, s in zip(by_rules, oof)], y)[:2])
            if combined > best:
                threshold, best = t, combined
        if threshold is None:  # the model adds nothing the rules don't: it never speaks
            threshold = float(oof.max()) + 100
        pm, rm, *_ = prf(oof >= threshold, y)
        flags = [a or s >= threshold for a, s in zip(by_rules, oof)]
        p, r, tp, fp, fn = prf(flags, y)
        print(f"{rule}: threshold {threshold:.3f}; out-of-fold: model alone P {pm:.3f} R {rm:.3f}; rules alone P {p0:.3f} R {r0:.3f}; "
              f"rules + model P {p:.3f} R {r:.3f} (tp {tp}, fp {fp}, fn {fn})")
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(X, y)
        models.append((rule, float(model.intercept_[0]), float(threshold), model.coef_[0]))

    # Int8 weights, one scale per rule; only slots where some rule has a weight are stored.
    scales = [max(float(np.abs(w).max()), 1e-9) / 127 for *_, w in models]
    q = np.stack([np.clip(np.round(w / s), -127, 127).astype(np.int8) for (*_, w), s in zip(models, scales)], axis=1)
    slots = np.nonzero(np.any(q != 0, axis=1))[0]
    out = bytearray(b"BGMM") + struct.pack("<IIII", 1, BITS, MIN_FEATURES, len(RULES))
    for (rule, bias, threshold, _), scale in zip(models, scales):
        name = rule.encode()
        out += bytes([len(name)]) + name + struct.pack("<fff", bias, threshold, scale)
    out += struct.pack("<I", len(slots))
    for slot in slots:
        out += struct.pack("<I", int(slot)) + q[slot].tobytes()
    open(MODEL, "wb").write(out)
    print(f"{MODEL}: {len(out)} bytes, {len(slots)} slots")

    # Vectors: scores from the quantised weights, as Swift computes them (float32 sums).
    vectors = []
    mask = (1 << BITS) - 1
    for record in records[::len(records) // 24][:24]:
        feats = features(record["words"])
        norm = np.float32(1 / math.sqrt(max(len(feats), MIN_FEATURES)))
        scores = {}
        for r, ((rule, bias, _, _), scale) in enumerate(zip(models, scales)):
            total = np.float32(sum(int(q[h & mask, r]) for h, _ in feats))
            scores[rule] = float(np.float32(bias) + np.float32(scale) * total * norm)
        vectors.append({"text": record["text"], "scores": scores})
    json.dump(vectors, open(VECTORS, "w"), ensure_ascii=False, indent=1)
    print(f"{VECTORS}: {len(vectors)} vectors")


if __name__ == "__main__":
    main(sys.argv[1])
