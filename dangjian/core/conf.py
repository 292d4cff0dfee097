"""The one reader of the deployment's settings: ``settings.DANGJIAN[key]``.

Each app keeps its own defaults beside the code that reads them and asks here, so every local
rule (DOMAIN.md's "a setting with this default") is read the same way.
"""

from __future__ import annotations

from django.conf import settings

_MISSING = object()


def setting(key: str, default=_MISSING, *, section: str | None = None):
    """``settings.DANGJIAN[key]`` (or ``settings.DANGJIAN[section][key]``), else ``default``.

    With no default a missing key raises KeyError naming it: a typo in a setting's name is a
    bug, not a silent default.
    """
    conf = getattr(settings, "DANGJIAN", None) or {}
    if section is not None:
        conf = conf.get(section) or {}
    if key in conf:
        return conf[key]
    if default is _MISSING:
        raise KeyError(f"settings.DANGJIAN has no {section + '.' if section else ''}{key}")
    return default
