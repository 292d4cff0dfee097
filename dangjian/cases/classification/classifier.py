"""The dispatch classifier trained on the deployment's own history.

A multinomial naive Bayes over the jieba tokens of a report (``text.tokens``, the same tokens
the duplicates use), trained on the closed events with their final class (the class the
dispatcher confirmed, not the one suggested at intake), in pure Python. Its parameters (token
counts per class, the classes' sizes, the department each class went to most) are stored in
``ClassifierModel`` rows, one version per training; the newest active version answers.

While the deployment has fewer than ``CASES_CLASSIFIER_MIN_EVENTS`` labelled events (a
setting, default 200), the keyword rules of the taxonomy answer instead (``text``). Training
measures the model and the rules on a held-out share of the events (a deterministic split)
and keeps the figures with the version. Retrained by ``tasks.classifier_train_task`` and
``manage.py cases_train_classifier``.
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max

from dangjian.cases.classification import text
from dangjian.cases.models import CLOSED_STATES, ClassifierModel, Event
from dangjian.core import audit, conf

METHOD = "naive_bayes"
METHOD_LABELS = {"keywords": "关键词规则", METHOD: "历史事件训练模型", "": "无建议"}
DEFAULTS = {
    # Labelled (closed) events needed before the trained model replaces the keyword rules.
    "CASES_CLASSIFIER_MIN_EVENTS": 200,
    # Additive smoothing of the token counts.
    "CASES_CLASSIFIER_ALPHA": 0.5,
    # The share of the labelled events held out to measure a training.
    "CASES_CLASSIFIER_HOLDOUT": 0.2,
    # Train on at most this many of the newest labelled events (recent usage, bounded time).
    "CASES_CLASSIFIER_MAX_SAMPLES": 50000,
    # Below this confidence a suggestion is not filed as the event's class: the report forms
    # ask the reporter to choose, and a model guess this unsure gives way to a listed keyword.
    "CASES_SUGGESTION_MIN_CONFIDENCE": 0.5,
}
SPLIT_SEED = "dangjian-classifier"


def setting(key: str):
    """``settings.DANGJIAN[key]``, else this module's default."""
    return conf.setting(key, DEFAULTS[key])


def min_confidence() -> float:
    return float(setting("CASES_SUGGESTION_MIN_CONFIDENCE"))


def confident(suggestion: text.Suggestion) -> bool:
    """Whether ``suggestion`` is sure enough to be filed as the class of a report."""
    return suggestion.code is not None and suggestion.confidence >= min_confidence()


def _settled(suggestion: text.Suggestion) -> text.Suggestion:
    suggestion.confident = confident(suggestion)
    return suggestion


def method_label(method: str) -> str:
    return METHOD_LABELS.get(method or "", method)


@dataclass(frozen=True)
class Sample:
    tokens: tuple[str, ...]
    code: str
    department: str = ""


# --- the model ---------------------------------------------------------------------------------


@dataclass
class NaiveBayes:
    """Multinomial naive Bayes with additive smoothing ``alpha``."""

    alpha: float
    docs: dict[str, int]
    totals: dict[str, int]
    counts: dict[str, dict[str, int]]
    departments: dict[str, str] = field(default_factory=dict)
    _vocab: int = 0
    _prior: dict[str, float] = field(default_factory=dict)
    _denominator: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        vocab = set()
        for c in self.counts.values():
            vocab.update(c)
        self._vocab = len(vocab)
        n = sum(self.docs.values()) or 1
        self._prior = {k: math.log(v / n) for k, v in self.docs.items() if v}
        self._denominator = {
            k: math.log(self.totals.get(k, 0) + self.alpha * (self._vocab + 1)) for k in self.docs
        }

    @property
    def vocabulary(self) -> int:
        return self._vocab

    @classmethod
    def fit(cls, samples, alpha: float) -> NaiveBayes:
        docs: Counter = Counter()
        totals: Counter = Counter()
        counts: dict[str, Counter] = defaultdict(Counter)
        depts: dict[str, Counter] = defaultdict(Counter)
        for s in samples:
            docs[s.code] += 1
            totals[s.code] += len(s.tokens)
            counts[s.code].update(s.tokens)
            if s.department:
                depts[s.code][s.department] += 1
        return cls(
            alpha=alpha,
            docs=dict(docs),
            totals=dict(totals),
            counts={k: dict(v) for k, v in counts.items()},
            departments={k: v.most_common(1)[0][0] for k, v in depts.items() if v},
        )

    def to_params(self) -> dict:
        return {
            "alpha": self.alpha,
            "classes": {
                code: {
                    "docs": self.docs[code],
                    "total": self.totals.get(code, 0),
                    "counts": self.counts.get(code, {}),
                    "department": self.departments.get(code, ""),
                }
                for code in sorted(self.docs)
            },
        }

    @classmethod
    def from_params(cls, params: dict) -> NaiveBayes:
        classes = params.get("classes") or {}
        return cls(
            alpha=float(params.get("alpha", DEFAULTS["CASES_CLASSIFIER_ALPHA"])),
            docs={k: int(v["docs"]) for k, v in classes.items()},
            totals={k: int(v["total"]) for k, v in classes.items()},
            counts={k: dict(v["counts"]) for k, v in classes.items()},
            departments={k: v.get("department", "") for k, v in classes.items()},
        )

    def scores(self, toks, allowed=None) -> dict[str, float]:
        """Log joint probability of each class and the tokens (unknown tokens ignored)."""
        known = [t for t in toks if any(t in c for c in self.counts.values())]
        out = {}
        for code, prior in self._prior.items():
            if allowed is not None and code not in allowed:
                continue
            c = self.counts.get(code, {})
            den = self._denominator[code]
            out[code] = prior + sum(math.log(c.get(t, 0) + self.alpha) - den for t in known)
        return out

    def predict(self, toks, allowed=None) -> list[tuple[str, float]]:
        """(class, posterior probability), most probable first."""
        scores = self.scores(toks, allowed)
        if not scores:
            return []
        top = max(scores.values())
        exp = {k: math.exp(v - top) for k, v in scores.items()}
        total = sum(exp.values())
        return sorted(((k, v / total) for k, v in exp.items()), key=lambda p: (-p[1], p[0]))

    def evidence(self, toks, code: str, n: int = 3) -> list[str]:
        """The tokens that speak most for ``code`` against the other classes."""
        c = self.counts.get(code, {})
        out = []
        for t in set(toks):
            if t not in c:
                continue
            mine = math.log(c[t] + self.alpha) - self._denominator[code]
            others = [
                math.log(self.counts[k].get(t, 0) + self.alpha) - self._denominator[k]
                for k in self.counts
                if k != code
            ]
            rest = max(others) if others else 0.0
            if mine > rest:
                out.append((mine - rest, t))
        out.sort(key=lambda p: (-p[0], p[1]))
        return [t for _d, t in out[:n]]


# --- the labelled history ---------------------------------------------------------------------


def labelled_samples(limit: int | None = None) -> list[Sample]:
    """The newest ``limit`` closed events (``CASES_CLASSIFIER_MAX_SAMPLES`` by default) with
    their final class and department, newest first."""
    limit = int(setting("CASES_CLASSIFIER_MAX_SAMPLES") if limit is None else limit)
    rows = (
        Event.objects.filter(state__in=CLOSED_STATES, event_class__isnull=False)
        .exclude(tokens="")
        .order_by("-id")
        .values_list("tokens", "event_class__code", "department__name")[:limit]
    )
    return [Sample(tuple(t.split()), code, dept or "") for t, code, dept in rows.iterator(5000)]


def labelled_count() -> int:
    return Event.objects.filter(state__in=CLOSED_STATES, event_class__isnull=False).count()


def split(samples: list, holdout: float, seed: str = SPLIT_SEED) -> tuple[list, list]:
    """A deterministic train/test split: shuffled by ``seed``, the last ``holdout`` share held
    out."""
    order = list(range(len(samples)))
    random.Random(seed).shuffle(order)
    cut = len(order) - round(len(order) * holdout)
    return [samples[i] for i in order[:cut]], [samples[i] for i in order[cut:]]


def evaluate(model: NaiveBayes, test: list[Sample], rule_list: list[text.Rule]) -> dict:
    """Accuracy of the model and of the keyword rules on ``test`` (a rule giving no answer
    counts as wrong)."""
    allowed = {r.code for r in rule_list}
    right_model = right_rules = 0
    for s in test:
        guess = model.predict(s.tokens, allowed)
        if guess and guess[0][0] == s.code:
            right_model += 1
        if text.keyword_suggestion(s.tokens, rule_list).code == s.code:
            right_rules += 1
    n = len(test)
    return {
        "holdout": n,
        "model": round(right_model / n, 4) if n else None,
        "keywords": round(right_rules / n, 4) if n else None,
    }


@transaction.atomic
def train(
    *, actor=None, min_events: int | None = None, audited: bool = True
) -> ClassifierModel | None:
    """Train a new version on the closed events, measured on a held-out share first.

    Fewer labelled events than ``min_events`` (the setting by default): nothing is trained
    and the keyword rules keep answering (None). ``audited=False`` only for the demo seed,
    whose one ``demo.seed`` audit row records the version it trained.
    """
    needed = int(setting("CASES_CLASSIFIER_MIN_EVENTS") if min_events is None else min_events)
    samples = labelled_samples()
    if len(samples) < max(needed, 1):
        return None
    alpha = float(setting("CASES_CLASSIFIER_ALPHA"))
    rule_list = text.rules()
    train_part, test_part = split(samples, float(setting("CASES_CLASSIFIER_HOLDOUT")))
    evaluation = evaluate(NaiveBayes.fit(train_part, alpha), test_part, rule_list)
    model = NaiveBayes.fit(samples, alpha)
    version = (ClassifierModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    ClassifierModel.objects.filter(active=True).update(active=False)
    row = ClassifierModel.objects.create(
        version=version,
        method=METHOD,
        samples=len(samples),
        classes=len(model.docs),
        vocabulary=model.vocabulary,
        params=model.to_params(),
        evaluation=evaluation,
        active=True,
    )
    if not audited:
        return row
    audit.record(
        actor=actor,
        action="classifier.train",
        obj=row,
        after={
            "version": version,
            "samples": len(samples),
            "classes": row.classes,
            "vocabulary": row.vocabulary,
            **evaluation,
        },
        note=f"训练事件分类模型v{version}：{len(samples)}件已结案事件",
    )
    return row


# --- answering ------------------------------------------------------------------------------------

_lock = threading.Lock()
_cache: dict = {"version": None, "model": None, "samples": 0}


def active_model() -> tuple[int | None, int, NaiveBayes | None]:
    """(version, samples, model) of the newest active version, loaded once per process and
    version (one small query per call to see whether a newer version exists)."""
    head = (
        ClassifierModel.objects.filter(active=True)
        .order_by("-version")
        .values_list("version", "samples")
        .first()
    )
    if head is None:
        return None, 0, None
    version, samples = head
    if _cache["version"] != version:
        params = ClassifierModel.objects.values_list("params", flat=True).get(version=version)
        model = NaiveBayes.from_params(params)
        with _lock:
            _cache.update(version=version, model=model, samples=samples)
    return version, samples, _cache["model"]


def clear_cache() -> None:
    with _lock:
        _cache.update(version=None, model=None, samples=0)


def suggest(
    body: str, rule_list: list[text.Rule] | None = None
) -> tuple[text.Suggestion, list[str]]:
    """The suggested class and department of ``body`` with its confidence and the method that
    produced it; and the tokens. The trained model answers when its version was trained on at
    least ``CASES_CLASSIFIER_MIN_EVENTS`` events and knows some of the tokens; otherwise the
    keyword rules.

    A listed keyword outweighs an unsure model guess: when the model's confidence is below
    ``CASES_SUGGESTION_MIN_CONFIDENCE`` and a class's keyword is in the text, the keyword rules
    answer (the confidence the higher of the two when both name the same class).
    ``Suggestion.confident`` says whether the answer is sure enough to be filed."""
    rule_list = text.rules() if rule_list is None else rule_list
    toks = text.tokens(body, text.keyword_set(rule_list))
    by_keywords = text.keyword_suggestion(toks, rule_list)
    version, samples, model = active_model()
    needed = int(setting("CASES_CLASSIFIER_MIN_EVENTS"))
    if model is not None and samples >= needed:
        by_code = {r.code: r for r in rule_list}
        ranked = model.predict(toks, set(by_code))
        evidence = model.evidence(toks, ranked[0][0]) if ranked else []
        code, p = ranked[0] if ranked else (None, 0.0)
        unsure = p < min_confidence() and by_keywords.code is not None
        if unsure and by_keywords.code == code:
            by_keywords.confidence = max(by_keywords.confidence, round(min(p, 1.0), 4))
        if ranked and evidence and not unsure:
            r = by_code[code]
            return (
                _settled(
                    text.Suggestion(
                        code=r.code,
                        pk=r.pk,
                        name=r.name,
                        kind=r.kind,
                        confidence=round(min(max(p, 0.0), 1.0), 4),
                        keywords=evidence,
                        alternatives=[
                            {"code": c, "name": by_code[c].name, "probability": round(q, 4)}
                            for c, q in ranked[1:4]
                            if q >= 0.01
                        ],
                        method=METHOD,
                        model_version=version,
                        department_name=model.departments.get(code) or r.department_name,
                    )
                ),
                toks,
            )
    return _settled(by_keywords), toks
