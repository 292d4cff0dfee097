"""Console forms of dues. They carry what a person typed to the services unchanged; the
services check the values and their Chinese messages per field land on these forms
(``dangjian.web.forms.add_service_errors``)."""

from __future__ import annotations

from django import forms

from dangjian.dues.models import DuesCategory, HardshipKind

MONTH = {"type": "month"}
DECIMAL = {"inputmode": "decimal"}


class ProfileForm(forms.Form):
    """The category and base from an effective month (``services.profile_set``)."""

    category = forms.CharField(
        label="党费类别", required=False, widget=forms.Select(choices=DuesCategory.choices)
    )
    base = forms.CharField(label="缴费基数（元）", required=False, widget=forms.TextInput(DECIMAL))
    effective_month = forms.CharField(
        label="起始月份",
        required=False,
        widget=forms.TextInput(MONTH),
        help_text="新工资从哪个月开始，就从哪个月按新基数计算",
    )
    quarterly = forms.BooleanField(label="经支部同意按季缴纳", required=False)
    note = forms.CharField(
        label="说明", required=False, strip=False, widget=forms.TextInput({"maxlength": 200})
    )

    def __init__(self, *args, retired_base: str = "", placeholder="", **kwargs):
        super().__init__(*args, **kwargs)
        pension = "基本养老金" if retired_base == "basic" else "月养老金总额"
        self.fields["base"].help_text = (
            "在职：月工资收入（税后）；个体及灵活就业：上季度月平均纯收入；"
            f"离退休：{pension}；定额类别可不填"
        )
        self.fields["base"].widget.attrs["placeholder"] = placeholder

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "category": data["category"] or None,
            "base": data["base"] or None,
            "effective_month": data["effective_month"] or None,
            "quarterly": data["quarterly"],
            "note": data["note"],
        }


class HardshipForm(forms.Form):
    """A request for reduction or waiver (``services.hardship_request``)."""

    kind = forms.CharField(
        label="类型", required=False, widget=forms.Select(choices=HardshipKind.choices)
    )
    amount = forms.CharField(
        label="减交后月交金额（元）", required=False, widget=forms.TextInput(DECIMAL)
    )
    from_month = forms.CharField(
        label="起始月份", required=False, widget=forms.TextInput({**MONTH, "required": True})
    )
    to_month = forms.CharField(
        label="截止月份", required=False, widget=forms.TextInput({**MONTH, "required": True})
    )
    reason = forms.CharField(
        label="困难情况",
        required=False,
        strip=False,
        widget=forms.TextInput({"maxlength": 500, "required": True}),
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "amount": data["amount"] or None,
            "from_month": data["from_month"],
            "to_month": data["to_month"],
            "reason": data["reason"],
        }
