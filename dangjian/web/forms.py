"""Form helpers of the web kit: a service's ValidationError shown on the form's fields."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

from dangjian.core.excel_import import MODE_LABELS


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


class ImportForm(forms.Form):
    """An Excel import's upload: the file (at most ``max_bytes``) and the mode
    (``core.excel_import.IMPORT_MODES``)."""

    file = forms.FileField(label="文件", required=False)
    mode = forms.ChoiceField(
        label="导入方式",
        choices=list(MODE_LABELS.items()),
        initial="all_or_nothing",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, max_bytes: int, accept: str = ".xlsx", **kwargs):
        super().__init__(*args, **kwargs)
        self.max_mb = max_bytes // (1024 * 1024)
        self.max_bytes = max_bytes
        self.fields["file"].widget.attrs["accept"] = accept
        self.fields["file"].help_text = f"不超过{self.max_mb}MB"

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            raise ValidationError("请上传文件")
        if upload.size > self.max_bytes:
            raise ValidationError(f"文件不能超过{self.max_mb}MB，请拆分后分批导入")
        return upload
