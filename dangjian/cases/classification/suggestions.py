"""How the report forms use the class suggestion: a confident suggestion is filed as the
class; below ``CASES_SUGGESTION_MIN_CONFIDENCE`` the form asks the reporter to choose."""

from __future__ import annotations

from dangjian.cases.classification.text import Suggestion


def ask_message(suggestion: Suggestion) -> str:
    """The class field's message when the suggestion is too unsure to be filed."""
    if suggestion.code is None:
        return "系统无法判断事件类别，请选择事件类别"
    percent = round(suggestion.confidence * 100)
    return f"系统无法确定事件类别（可能是“{suggestion.name}”，置信度{percent}%），请选择事件类别"
