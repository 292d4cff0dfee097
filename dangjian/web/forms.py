"""Form helpers of the web kit: a service's ValidationError shown on the form's fields."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator


def add_service_errors(form: forms.Form, exc: ValidationError, aliases: dict | None = None):
    """A service's ``ValidationError`` onto the form: each key on its field (through
    ``aliases``), anything else above the form."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, messages in exc.message_dict.items():
        name = (aliases or {}).get(key, key)
        field = name if name in form.fields else None
        for message in messages:
            form.add_error(field, message)


class TextField(forms.CharField):
    """A text field whose value goes to a service as typed: the service cleans control
    characters (NUL included) with ``core.validation.clean_text``, so Django's own refusal of
    NUL is left out and a pasted NUL is dropped, not refused."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class TransitionForm(forms.Form):
    """A workflow move posted by a button (``action``) with its note, as the services take
    them: the services check both and name what is wrong; the page answers with a message
    (``messages_of``)."""

    action = TextField(required=False)
    note = TextField(required=False, strip=False)


class NoteForm(forms.Form):
    """A write that takes only a note (a reversal, a withdrawal), passed on as typed."""

    note = TextField(required=False, strip=False)


def messages_of(form: forms.Form) -> str:
    """Every message of a form in one line, for a page that answers with a message."""
    return "；".join(m for messages in form.errors.values() for m in messages)


class RevealForm(forms.Form):
    """Why a whole personal-data value is looked at (``core.pii``): the purpose and a reason."""

    purpose = forms.ChoiceField(label="查看用途", choices=[])
    reason = TextField(label="查看理由", min_length=2, max_length=200)

    def __init__(self, *args, **kwargs):
        from dangjian.core.pii import PURPOSES

        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [("", "请选择用途"), *PURPOSES.items()]
        self.fields["reason"].error_messages.update(
            {"min_length": "请填写查看理由（至少2个字）", "required": "请填写查看理由（至少2个字）"}
        )
        self.fields["purpose"].error_messages.update(
            {"required": "请选择查看用途", "invalid_choice": "请选择查看用途"}
        )
