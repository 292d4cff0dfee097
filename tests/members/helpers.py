"""Builders for the member tests: valid ID numbers and members made through the services."""

from __future__ import annotations

import datetime as dt
import io
import json

import xlsxwriter

from dangjian.core.validators import id_number_check_digit
from dangjian.members import services
from dangjian.members.models import Member


def id_no(
    birth: str = "19800101", seq: int = 1, *, female: bool = False, area: str = "350302"
) -> str:
    """A valid GB 11643 number: ``seq`` picks the sequence, its parity the gender."""
    n = (seq * 2 + (0 if female else 1)) % 1000
    first17 = f"{area}{birth}{n:03d}"
    return first17 + id_number_check_digit(first17)


def bad_check(number: str) -> str:
    last = number[-1]
    return number[:-1] + ("0" if last != "0" else "1")


def member(actor, org, **kw) -> Member:
    values = {
        "name": "张三",
        "status": "full",
        "joined_on": dt.date(2005, 7, 1),
        "confirmed_on": dt.date(2006, 7, 1),
        "ethnicity": "01",
        "id_number": id_no(seq=Member.objects.count() + 1),
    }
    values.update(kw)
    return services.member_create(actor=actor, org=org, **values)


def xlsx(rows: list[list], sheet: str = "党员信息", text_cols: tuple[int, ...] = ()) -> bytes:
    """A workbook with ``rows`` as they are (the first is usually the header)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    # A fixed creation time, so the same rows give the same bytes whatever the clock says.
    book.set_properties({"created": dt.datetime(2026, 1, 1)})
    ws = book.add_worksheet(sheet)
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            elif value is None:
                continue
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write(r, c, value)
    book.close()
    return out.getvalue()


def patch(api, user, path, data):
    return api.client.patch(
        path, json.dumps(data), content_type="application/json", headers=api._headers(user)
    )


def upload(api, user, path, content: bytes, name: str = "members.xlsx", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile(name, content), **fields}
    return api.client.post(path, data, headers=api._headers(user))
