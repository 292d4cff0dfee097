"""The tiles of the mobile home page (/m/).

A module adds its own ``Tile`` to ``TILES``; a tile shows when the user may do ``action``
(None: every signed-in user).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Tile:
    label: str
    url_name: str
    action: str | None = None


TILES: tuple[Tile, ...] = ()


def tiles_for(user) -> list[dict]:
    return [
        {"label": t.label, "url": reverse(t.url_name)}
        for t in TILES
        if t.action is None or user.can(t.action)
    ]
