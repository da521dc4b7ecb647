"""Writing output files safely: all or nothing, and never over a file unless asked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError


def check_output_path(path: str | Path, *, force: bool = False) -> Path:
    """Refuse a path that cannot take a new file, before any work is done."""
    target = Path(path)
    if target.is_dir():
        raise InputError("is a folder, not a file", where=str(target))
    if not target.parent.is_dir():
        raise InputError(f"folder {str(target.parent)!r} does not exist", where=str(target))
    if target.exists() and not force:
        raise InputError("exists already; pass --force to replace it", where=str(target))
    return target


def write_atomic(path: str | Path, data: str | bytes, *, force: bool = False) -> Path:
    """Write to a temporary file beside the target, then rename: readers never see half a file."""
    target = check_output_path(path, force=force)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
