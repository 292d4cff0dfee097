"""Console forms of 考核. They carry what a person typed to the services unchanged; the
services check the values and their Chinese messages per field land on these forms
(``dangjian.web.forms.add_service_errors``)."""

from __future__ import annotations

from django import forms

from dangjian.web.forms import TextField

# The milestone rows the project form offers (blank rows are left out).
MILESTONE_ROWS = 4


class ProjectForm(forms.Form):
    """书记项目 (``services.projects.project_create``): the project, its team, its plan and its
    milestones; the 督评考 items are scheduled with it."""

    org = TextField(label="党组织", required=False, widget=forms.Select({"id": "p-org"}))
    year = TextField(
        label="年度", required=False, widget=forms.NumberInput({"id": "p-year", "min": 2000})
    )
    title = TextField(label="项目名称", required=False, widget=forms.TextInput({"id": "p-title"}))
    secretary_name = TextField(
        label="书记", required=False, widget=forms.TextInput({"id": "p-secretary"})
    )
    team = TextField(
        label="项目团队",
        required=False,
        help_text="姓名之间用逗号或顿号分隔",
        widget=forms.TextInput({"id": "p-team"}),
    )
    plan = TextField(
        label="实施计划", required=False, widget=forms.Textarea({"id": "p-plan", "rows": 5})
    )

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].widget.choices = [("", "请选择"), *[(o.pk, o.name) for o in orgs]]
        for i in range(MILESTONE_ROWS):
            self.fields[f"m{i}_title"] = TextField(
                label=f"节点{i + 1}",
                required=False,
                widget=forms.TextInput({"id": f"p-m{i}-title"}),
            )
            self.fields[f"m{i}_due"] = TextField(
                label=f"节点{i + 1}计划完成",
                required=False,
                widget=forms.DateInput({"id": f"p-m{i}-due", "type": "date"}),
            )

    def milestones(self) -> list[dict]:
        """The rows typed (title or date), in order, as the service takes them."""
        data = self.cleaned_data
        rows = []
        for i in range(MILESTONE_ROWS):
            title, due = data.get(f"m{i}_title", ""), data.get(f"m{i}_due", "")
            if title.strip() or due.strip():
                rows.append({"title": title, "due_on": due, "row": i})
        return rows

    def aliases(self, milestones: list[dict]) -> dict:
        """The service's ``milestones.<n>.title`` keys onto the rows they came from."""
        out = {"milestones": "m0_title"}
        for n, m in enumerate(milestones):
            out[f"milestones.{n}.title"] = f"m{m['row']}_title"
            out[f"milestones.{n}.due_on"] = f"m{m['row']}_due"
        return out
