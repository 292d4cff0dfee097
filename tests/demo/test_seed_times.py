"""``seed --times`` and ``--scale city10``: the flat-cost run's city is the same tree with
more members and events; a multiple out of range is refused before anything is written."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from dangjian.demo.generator import SCALE_LABELS, SCALE_TIMES, SCALES
from dangjian.territory.models import Area

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("times", ["0", "21"])
def test_a_multiple_out_of_range_is_refused_in_chinese(times):
    with pytest.raises(CommandError, match="倍数（--times）应为1至20的整数"):
        call_command("seed", "--scale", "small", "--times", times, "--no-progress")
    assert not Area.objects.exists()


def test_city10_is_the_city_ten_times():
    assert "city10" in SCALES and SCALE_TIMES["city10"] == ("city", 10)
    assert SCALE_LABELS["city10"] == "全市规模×10"
