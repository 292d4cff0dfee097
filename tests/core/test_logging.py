import logging

from dangjian.core.logging import MaskPIIFilter, mask_text


def _record(msg, args=(), exc_info=None):
    return logging.LogRecord("dangjian", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_masks_id_numbers_and_mobiles_in_message_and_args():
    record = _record(
        "member %s phone %s called from 13912345678, ref %d",
        ("35010219900101123X", "13812345678", 42),
    )
    assert MaskPIIFilter().filter(record) is True
    message = record.getMessage()
    assert message == (
        "member 350102********123X phone 138****5678 called from 139****5678, ref 42"
    )


def test_dict_args_are_formatted_then_masked():
    record = _record("%(id)s", ({"id": "350102199001011234"},))
    MaskPIIFilter().filter(record)
    assert record.getMessage() == "350102********1234"


def test_leaves_other_numbers_alone():
    text = "order 20250101123456 amount 12345678901234 code 12812345678 year 2025"
    assert mask_text(text) == text


def test_mobiles_with_separators_and_country_code():
    assert mask_text("call +86 138-1234-5678 now") == "call 138****5678 now"
    assert mask_text("tel:13812345678;") == "tel:138****5678;"


def test_tracebacks_are_masked():
    try:
        raise ValueError("bad id 350102199001011234")
    except ValueError:
        import sys

        record = _record("failed", exc_info=sys.exc_info())
    MaskPIIFilter().filter(record)
    assert "350102199001011234" not in record.exc_text
    assert "350102********1234" in record.exc_text
    formatted = logging.Formatter().format(record)
    assert "350102199001011234" not in formatted


def test_filter_is_idempotent():
    record = _record("phone %s", ("13812345678",))
    f = MaskPIIFilter()
    f.filter(record)
    f.filter(record)
    assert record.getMessage() == "phone 138****5678"


def test_bad_format_string_still_masked():
    record = _record("phone %s %s", ("13812345678",))
    assert MaskPIIFilter().filter(record) is True
    assert "13812345678" not in record.getMessage()
