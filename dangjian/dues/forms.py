"""Console forms of dues. They carry what a person typed to the services unchanged; the
services check the values and their Chinese messages per field land on these forms
(``dangjian.web.forms.add_service_errors``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.dues import calc
from dangjian.dues.models import DuesCategory, HardshipKind
from dangjian.web.forms import TextField

MONTH = {"type": "month"}
DECIMAL = {"inputmode": "decimal"}


class ProfileForm(forms.Form):
    """The category and base from an effective month (``services.profile_set``)."""

    category = TextField(
        label="党费类别", required=False, widget=forms.Select(choices=DuesCategory.choices)
    )
    base = TextField(label="缴费基数（元）", required=False, widget=forms.TextInput(DECIMAL))
    effective_month = TextField(
        label="起始月份",
        required=False,
        widget=forms.TextInput(MONTH),
        help_text="新工资从哪个月开始，就从哪个月按新基数计算",
    )
    quarterly = forms.BooleanField(label="经支部同意按季缴纳", required=False)
    note = TextField(
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

    kind = TextField(
        label="类型", required=False, widget=forms.Select(choices=HardshipKind.choices)
    )
    amount = TextField(
        label="减交后月交金额（元）", required=False, widget=forms.TextInput(DECIMAL)
    )
    from_month = TextField(
        label="起始月份", required=False, widget=forms.TextInput({**MONTH, "required": True})
    )
    to_month = TextField(
        label="截止月份", required=False, widget=forms.TextInput({**MONTH, "required": True})
    )
    reason = TextField(
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


class MonthsField(forms.Field):
    """The months ticked in the month table (``YYYY-MM`` each); the service checks them."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return [str(v) for v in value or []]


class PaymentForm(forms.Form):
    """Dues for the months ticked and a voluntary extra (``services.payment_create``); the
    form's key makes a second submit of the same form write nothing."""

    months = MonthsField(label="缴费月份")
    extra = TextField(
        label="自愿多交（元）",
        required=False,
        help_text="一次自愿多交1000元以上的，全额上缴中央",
        widget=forms.TextInput({"id": "pay-extra", "placeholder": "0.00", **DECIMAL}),
    )
    paid_on = TextField(
        label="缴纳日期", required=False, widget=forms.DateInput({"id": "pay-date", "type": "date"})
    )
    note = TextField(
        label="备注",
        required=False,
        strip=False,
        widget=forms.TextInput({"id": "pay-note", "maxlength": 200}),
    )
    client_key = TextField(required=False, widget=forms.HiddenInput)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "months": data["months"],
            "extra": data["extra"] or None,
            "paid_on": data["paid_on"] or None,
            "client_key": data["client_key"],
            "note": data["note"],
        }


class RemittanceForm(forms.Form):
    """The confirmation of a month's remittance upward (``services.remittance_create``); the
    branch and the month come from the first step."""

    amount = TextField(
        label="上缴金额（元）",
        required=False,
        widget=forms.TextInput({"id": "rem-amount", "required": True, **DECIMAL}),
    )
    note = TextField(
        label="备注",
        required=False,
        strip=False,
        widget=forms.TextInput({"id": "rem-note", "maxlength": 200}),
    )
    client_key = TextField(required=False, widget=forms.HiddenInput)


class RemittanceTargetForm(forms.Form):
    """The branch and the month of a remittance: chosen in the first step (a GET) and posted
    again with the confirmation, where a missing branch reads "请选择上缴的党支部". A blank month
    is the current one; ``month_raw`` is what the page shows again."""

    org = TextField(required=False)
    month = TextField(required=False)

    def __init__(self, *args, confirming: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.confirming = confirming
        self.month_raw = ""

    def clean_org(self):
        value = self.cleaned_data["org"]
        if self.confirming and not value:
            raise ValidationError("请选择上缴的党支部")
        return value

    def clean_month(self):
        raw = self.cleaned_data["month"] or calc.month_text(calc.month_of(timezone.localdate()))
        self.month_raw = raw
        try:
            return calc.parse_month(raw, "month", "月份")
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["month"]) from None
