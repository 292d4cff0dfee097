"""The one import layer (``core.excel_import``): headers found below a title and matched through
aliases and a user's mapping, required columns named, cells read with Chinese messages naming
the column, the report's line for both modes, a template whose examples stand apart."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from python_calamine import CalamineWorkbook

from dangjian.core import excel_import as ei
from tests.members.helpers import xlsx


class Colour(models.TextChoices):
    RED = "red", "红色"
    BLUE = "blue", "蓝色"


TABLE = ei.Table(
    (
        ei.Column("name", "名称", True, ("站名",), "必填"),
        ei.Column(
            "colour", "颜色", True, kind="choice", choices=Colour, value_aliases={"红": "red"}
        ),
        ei.Column("code", "代码", False),
        ei.Column("area", "区域", False),
        ei.Column("day", "日期", False, kind="date"),
    )
)


def test_the_header_below_a_title_is_matched_through_aliases_stars_and_a_mapping():
    content = xlsx(
        [
            ["驿站一览"],
            [],
            ["*站名", " 颜 色 (必填)", "备注", "地区", "日期"],
            ["甲", "红", "x", "东", ""],
        ]
    )
    sheet = ei.parse_sheet(
        content,
        TABLE,
        hint="“名称”",
        max_rows=10,
        mapping={"地区": "区域"},
        readers={
            "name": lambda v: (v, None),
            "colour": lambda v: ei.read_choice(TABLE, TABLE.by_key["colour"], v),
            "area": lambda v: (v, None),
            "day": lambda v: ei.read_date("日期", v),
        },
    )
    [row] = sheet.rows
    assert row.number == 4 and row.values["colour"] == "red" and row.values["area"] == "东"
    assert sheet.ignored == ["备注"]
    assert sheet.column_name("name") == "站名" and sheet.column_name("code") == "代码"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["备注", "说明"], ["a", "b"]], "未找到表头行：表头应包含“名称”等列名，请使用导入模板"),
        ([["名称", "代码"], ["a", "b"]], "缺少必填列：颜色、区域或日期"),
        ([["名称", "颜色", "区域"]], "文件中没有数据行"),
        (
            [["名称", "颜色", "区域"], ["a", "红", "b"], ["c", "红", "d"]],
            "一次最多导入1行，请拆分后分批导入",
        ),
    ],
)
def test_a_file_the_import_cannot_take_is_refused_on_the_file(rows, message):
    with pytest.raises(ValidationError) as exc:
        ei.parse_sheet(
            xlsx(rows), TABLE, hint="“名称”", max_rows=1, required_any=(("area", "day"),)
        )
    assert exc.value.message_dict == {"file": [message]}


def test_cells_are_read_or_named_wrong_by_their_column():
    colour = TABLE.by_key["colour"]
    assert ei.read_choice(TABLE, colour, "蓝色") == ("blue", None)
    assert ei.read_choice(TABLE, colour, "绿") == (None, "颜色“绿”无效，可填：红色、蓝色")
    assert ei.read_date("日期", "2026/3/1")[0].isoformat() == "2026-03-01"
    assert ei.read_date("日期", "明天", example="2001-07-01") == (
        None,
        "日期格式错误：“明天”不是日期，应为YYYY-MM-DD，如2001-07-01",
    )
    assert ei.count_of("1,200", "户数") == (1200, None)
    assert ei.count_of("-3", "户数") == (0, "户数应为不小于0的整数，不能是“-3”")
    calls = []
    read = ei.memoized(lambda v: (calls.append(v) or [v], None))
    assert read("a") == (["a"], None) and read("a") == (["a"], None) and calls == ["a"]


def test_the_report_line_and_the_problems_in_row_and_column_order():
    assert ei.summary(total=5, done=0, bad_rows=2, mode="all_or_nothing").startswith(
        "共5行，其中2行有误，按“全部成功才导入”未导入任何数据"
    )
    assert (
        ei.summary(total=5, done=3, bad_rows=2, mode="skip_bad") == "共5行，导入3行，跳过有误的2行"
    )
    assert ei.summary(total=5, done=5, bad_rows=0, mode="skip_bad") == "共5行，全部导入成功"
    problems = ei.Problems(TABLE)
    problems.add(3, "area", "乙")
    problems.add(3, "name", "甲")
    problems.add(2, "unknown", "丙")
    assert [(p["row"], p["column"]) for p in problems.sorted()] == [
        (2, "unknown"),
        (3, "名称"),
        (3, "区域"),
    ]
    with pytest.raises(ValidationError):
        ei.check_mode("later")


def test_the_template_reads_back_and_keeps_its_examples_apart():
    content = ei.template_bytes(
        TABLE, sheet_name="驿站", notes=["说明一"], examples=[["甲", "红色"]], example_sheet="示例"
    )
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert book.sheet_names == ["驿站", "填写说明", "选项", "示例"]
    assert book.get_sheet_by_index(0).to_python() == [["*名称", "*颜色", "代码", "区域", "日期"]]
    assert book.get_sheet_by_name("示例").to_python()[1][:2] == ["甲", "红色"]
    guide = book.get_sheet_by_index(1).to_python()
    assert guide[2][:4] == ["颜色", "是", "", "红色、蓝色"] and guide[8][0] == "说明一"
