"""Pinyin initials for search (e.g. 城厢区 → CXQ)."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def initials(text: str) -> str:
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(letters).upper()[:64]
