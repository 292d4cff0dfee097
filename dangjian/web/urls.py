"""URL helpers the console apps' ``urls.py`` share."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import URLPattern, path


def file_paths(
    folder: str,
    upload: Callable,
    download: Callable,
    *,
    names: tuple[str, str],
    file_id: str = "file_id",
) -> list[URLPattern]:
    """The pair of routes of a row's files (evidence, attachments, photos): ``folder`` (the
    row's files, e.g. ``scores/<int:score_id>/files/``) takes an upload, ``folder`` and the
    file's id (``<int:file_id>/``) serves one file; ``names`` are the upload's and the file's
    URL names."""
    upload_name, file_name = names
    return [
        path(folder, upload, name=upload_name),
        path(f"{folder}<int:{file_id}>/", download, name=file_name),
    ]
