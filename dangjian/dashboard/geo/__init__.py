"""The one map (全市一张图): boundaries simplified per zoom level, the figures it is coloured
by, and its reads (``selectors``)."""
