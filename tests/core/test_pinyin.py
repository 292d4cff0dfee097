"""``core.pinyin.initials`` (cached per word) gives exactly what pypinyin gives for the whole
text: search by initials must find a member however the record was written."""

import random

from hypothesis import given
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from dangjian.core.pinyin import initials


def _pypinyin(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")).upper()[:64]


def test_known_names():
    assert initials("城厢区") == "CXQ"
    assert initials("欧阳振华") == _pypinyin("欧阳振华")
    assert initials("重庆路社区") == "CQLSQ"  # a phrase: 重 read chong, not zhong
    assert initials("第3网格（A区）") == _pypinyin("第3网格（A区）") == "DWGQ"
    assert initials("") == ""


def test_phrases_across_word_boundaries():
    rng = random.Random(20261123)
    phrases = sorted(PHRASES_DICT)
    for _ in range(3000):
        text = rng.choice(phrases)[-1] + rng.choice(phrases) + rng.choice(phrases)[:1]
        assert initials(text) == _pypinyin(text), text


@given(
    st.text(
        alphabet=st.one_of(
            st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
            st.sampled_from(list("abcXYZ019 -（）·,.〇")),
        ),
        max_size=20,
    )
)
def test_any_text(text):
    assert initials(text) == _pypinyin(text)
