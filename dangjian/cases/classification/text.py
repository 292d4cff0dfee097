"""Chinese text of a report: jieba segmentation, keyword rules per class (the dispatch
suggestion, with a confidence) and token Jaccard similarity (duplicates).

The rules read the ``keywords`` of each active ``EventClass``, so a deployment tunes them as
data. Keywords are added to a private jieba dictionary (not jieba's global one), so a keyword
is one token. The suggestion the API and dispatch use is ``classifier.suggest``: the classifier
trained on the deployment's own closed events once there is enough history, these keyword rules
(``classify_keywords``) until then. This module does not import the classifier (one way).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import jieba

jieba.setLogLevel(logging.WARNING)

# Function words and fillers that say nothing about the problem.
STOP_WORDS = frozenset(
    """
    的 了 在 是 有 和 与 及 或 也 都 就 还 又 很 太 非常 比较 特别 一直 已经 现在 目前 今天 昨天
    这里 那里 这个 那个 这边 那边 这些 那些 我们 你们 他们 大家 我 你 他 她 它 没有 没 不 一个 一些
    希望 请 麻烦 尽快 处理 解决 反映 问题 情况 相关 部门 有关 帮忙 一下 谢谢 附近 位置 发现 存在
    出现 导致 造成 严重 影响 居民 群众 市民 小区 社区 网格 上报 投诉人 上午 下午 晚上 早上 每天 经常
    """.split()
)
_PUNCT_RE = re.compile(r"^[\W_]+$", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")
_NON_WORD_RE = re.compile(r"[\W_]+", re.UNICODE)

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_words: set[str] = set()


def _get_tokenizer(words: set[str]) -> jieba.Tokenizer:
    """The private tokenizer, knowing at least ``words`` as words."""
    global _tokenizer
    tok = _tokenizer
    if tok is None or not words <= _words:
        with _lock:
            if _tokenizer is None:
                _tokenizer = jieba.Tokenizer()
                _tokenizer.initialize()
            for w in sorted(words - _words):
                _tokenizer.add_word(w, freq=200000)
                _words.add(w)
            tok = _tokenizer
    return tok


def warm() -> None:
    """Load jieba's dictionary now (``dangjian serve`` does, before it forks its processes)
    rather than at the first report."""
    _get_tokenizer(set())


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower().strip()


def fingerprint(text: str) -> str:
    """The same report however it is spaced and punctuated."""
    return hashlib.sha256(_NON_WORD_RE.sub("", normalize(text)).encode("utf-8")).hexdigest()


def tokens(text: str, words: set[str] | None = None) -> list[str]:
    """The content tokens of ``text``: segmented, stop words, punctuation and single
    characters (other than digits) dropped, in order, without repeats."""
    tok = _get_tokenizer(words if words is not None else keyword_set())
    out: list[str] = []
    seen: set[str] = set()
    for t in tok.lcut(normalize(text)):
        t = t.strip()
        if not t or _PUNCT_RE.match(t) or t in STOP_WORDS:
            continue
        if len(t) < 2 and not t.isdigit():
            continue
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def jaccard(a, b) -> float:
    a, b = set(a), set(b)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


# --- keyword rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    pk: int
    code: str
    name: str
    kind: str
    keywords: tuple[str, ...]
    department_name: str = ""


@dataclass
class Suggestion:
    """The suggested class of a text: ``code`` None when no keyword matched."""

    code: str | None = None
    pk: int | None = None
    name: str = ""
    kind: str = ""
    confidence: float = 0.0
    keywords: list[str] = field(default_factory=list)
    alternatives: list[dict] = field(default_factory=list)
    # Which method produced it: "keywords" (rules), "naive_bayes" (trained model), "" (none).
    method: str = ""
    model_version: int | None = None
    # The usual handling department: the class's default, or the one history used most.
    department_name: str = ""
    # Sure enough to be filed as the report's class (``classifier.confident``); below the
    # threshold the report forms ask the reporter to choose.
    confident: bool = False


def rules() -> list[Rule]:
    """The keyword rules of the active classes (one query)."""
    from dangjian.cases.models import EventClass

    return [
        Rule(pk, code, name, kind, tuple(_clean_keywords(kw)), dept)
        for pk, code, name, kind, kw, dept in EventClass.objects.filter(active=True)
        .order_by("sort", "id")
        .values_list("pk", "code", "name", "kind", "keywords", "department_name")
    ]


def _clean_keywords(raw) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    return _normalized(tuple(k for k in raw if isinstance(k, str)))


@functools.lru_cache(maxsize=256)
def _normalized(words: tuple[str, ...]) -> tuple[str, ...]:
    """A class's keywords normalized (every report reads the rules: about 400 keywords were
    normalized again each time); keyed by the stored words, so an edit takes effect at once."""
    return tuple(n for n in (normalize(k) for k in words) if n)


def keyword_set(rule_list: list[Rule] | None = None) -> set[str]:
    return {k for r in (rule_list if rule_list is not None else rules()) for k in r.keywords}


def classify_keywords(
    text: str, rule_list: list[Rule] | None = None
) -> tuple[Suggestion, list[str]]:
    """The class the keyword rules suggest for ``text``, and the text's tokens."""
    rule_list = rules() if rule_list is None else rule_list
    toks = tokens(text, keyword_set(rule_list))
    return keyword_suggestion(toks, rule_list), toks


def keyword_suggestion(toks, rule_list: list[Rule]) -> Suggestion:
    """The keyword rules over tokens already segmented.

    Each class scores the number of its keywords among the tokens. The confidence is the top
    score's share of all scores, damped when the evidence is thin: ``share × (1 − ½^top)``
    (one keyword alone gives at most 0.5, two 0.75, three 0.875).
    """
    present = set(toks)
    scored = []
    for r in rule_list:
        hits = [k for k in r.keywords if k in present]
        if hits:
            scored.append((len(hits), r, hits))
    if not scored:
        return Suggestion()
    scored.sort(key=lambda s: -s[0])  # stable: ties keep the taxonomy's order
    top, rule, hits = scored[0]
    total = sum(s[0] for s in scored)
    confidence = round(top / total * (1 - 0.5**top), 4)
    alternatives = [
        {"code": r.code, "name": r.name, "score": n, "keywords": h} for n, r, h in scored[1:4]
    ]
    return Suggestion(
        rule.code,
        rule.pk,
        rule.name,
        rule.kind,
        confidence,
        hits,
        alternatives,
        method="keywords",
        department_name=rule.department_name,
    )
