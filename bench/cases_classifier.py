"""Accuracy of the dispatch suggestion on held-out demo events: the naive Bayes trained on
history (``cases.classifier``) against the keyword rules (``text.keyword_suggestion``).

``python -m bench.cases_classifier [--events 20000] [--holdout 0.2]``

Draws ``--events`` reports exactly as the demo events are drawn (``demo.case_texts.labelled_texts``:
per-class phrases, places, tails, a few filed under another class than their words suggest),
segments them with ``text.tokens`` on a fresh migrated database (the seeded taxonomy and its
keywords), splits them with the classifier's deterministic split (seed
``dangjian-classifier``), trains on the training part and measures both methods on the held-out
part; also the accuracy as the history grows (the learning curve), the share of held-out
reports the rules cannot classify at all, the training time and the time per suggestion.
Prints figures; never asserts.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from bench import common


def run(events: int, holdout: float) -> dict:
    from dangjian.cases.classification import classifier, text
    from dangjian.demo import case_texts as demo

    rule_list = text.rules()
    words = text.keyword_set(rule_list)
    pairs = demo.labelled_texts(events)
    samples = [classifier.Sample(tuple(text.tokens(t, words)), code) for t, code in pairs]
    train, test = classifier.split(samples, holdout)
    alpha = float(classifier.setting("CASES_CLASSIFIER_ALPHA"))
    t0 = time.perf_counter()
    model = classifier.NaiveBayes.fit(train, alpha)
    fit_seconds = time.perf_counter() - t0
    result = classifier.evaluate(model, test, rule_list)
    unanswered = sum(1 for s in test if text.keyword_suggestion(s.tokens, rule_list).code is None)
    t0 = time.perf_counter()
    allowed = {r.code for r in rule_list}
    for s in test:
        model.predict(s.tokens, allowed)
    per_ms = (time.perf_counter() - t0) * 1000 / max(len(test), 1)
    curve = []
    for n in (50, 200, 1000, 5000, len(train)):
        if n > len(train):
            continue
        m = classifier.NaiveBayes.fit(train[:n], alpha)
        curve.append({"train": n, **classifier.evaluate(m, test, rule_list)})
    return {
        "events": events,
        "train": len(train),
        "holdout": len(test),
        "classes": len(model.docs),
        "vocabulary": model.vocabulary,
        "model_accuracy": result["model"],
        "keyword_accuracy": result["keywords"],
        "keywords_unanswered": round(unanswered / len(test), 4),
        "fit_seconds": round(fit_seconds, 3),
        "predict_ms": round(per_ms, 3),
        "curve": curve,
        "label_mix": dict(Counter(code for _t, code in pairs).most_common()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--holdout", type=float, default=0.2)
    args = parser.parse_args()
    common.SQLITE_PATH = common.BENCH_DIR / "cases_classifier.sqlite3"
    common.setup("sqlite")
    r = run(args.events, args.holdout)
    print(json.dumps({"machine": common.machine()}, ensure_ascii=False))
    print(
        f"演示事件 {r['events']:,} 件（训练 {r['train']:,}，留出 {r['holdout']:,}；"
        f"类别 {r['classes']} 个，词表 {r['vocabulary']:,}）"
    )
    better = "达成" if r["model_accuracy"] > r["keyword_accuracy"] else "未达成"
    print(
        f"留出集准确率：训练模型 {r['model_accuracy']:.2%}，关键词规则 {r['keyword_accuracy']:.2%}"
        f"（规则无法判断 {r['keywords_unanswered']:.2%}）  目标 模型优于规则: {better}"
    )
    print(f"训练用时 {r['fit_seconds']} s；每次建议 {r['predict_ms']} ms")
    for c in r["curve"]:
        print(f"  训练 {c['train']:>6,} 件：模型 {c['model']:.2%}，规则 {c['keywords']:.2%}")


if __name__ == "__main__":
    main()
