"""Bulk writes and proportional splits shared by the demo's seeders."""

from __future__ import annotations

BATCH = 2000


def write_rows(model, rows: list, bar=None) -> None:
    """``bulk_create`` in batches, advancing the progress bar when there is one."""
    for i in range(0, len(rows), BATCH):
        chunk = rows[i : i + BATCH]
        model.objects.bulk_create(chunk)
        if bar is not None:
            bar.update(len(chunk))


def spread(total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """Split ``total`` into ``len(weights)`` integers of at least ``minimum``, in proportion to
    ``weights``, summing exactly to ``total`` (largest remainders get the leftovers)."""
    n = len(weights)
    if n == 0:
        return []
    rest = total - minimum * n
    if rest < 0:
        raise ValueError("total too small for the minimum")
    s = sum(weights)
    raw = [rest * w / s for w in weights]
    base = [int(r) for r in raw]
    left = rest - sum(base)
    order = sorted(range(n), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[:left]:
        base[i] += 1
    return [minimum + b for b in base]
