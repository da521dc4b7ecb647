"""Writing output files safely: all or nothing, and never over a file unless asked."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import InputError


def check_output_path(path: str | Path, *, force: bool = False) -> Path:
    """Refuse a path that cannot take a new file, before any work is done.

    A device or other special file (``/dev/null``, a FIFO) is refused even with ``force``: the
    rename that makes a write atomic would replace the device itself.

    Examples
    --------
    >>> check_output_path("/dev/null", force=True)
    Traceback (most recent call last):
    ...
    graph.errors.InputError: /dev/null: is a device or special file, not a regular file; write to a file, or to standard output without -o
    """
    target = Path(path)
    if not str(path).strip():
        raise InputError("an output file name is empty")
    if "\x00" in str(path):
        raise InputError("an output file name holds a NUL character", where=repr(str(path)))
    if target.is_dir():
        raise InputError("is a folder, not a file", where=str(target))
    if not target.parent.is_dir():
        raise InputError(f"folder {str(target.parent)!r} does not exist", where=str(target))
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        raise InputError(
            "is a device or special file, not a regular file; write to a file, or to standard output without -o",
            where=str(target),
        )
    if target.exists() and not force:
        raise InputError("exists already; pass --force to replace it", where=str(target))
    return target


def write_atomic(path: str | Path, data: str | bytes, *, force: bool = False) -> Path:
    """Write to a temporary file beside the target, then rename: readers never see half a file.

    A failed write (disk full, no permission) leaves the target as it was and no temporary file
    behind, and is reported as one :class:`InputError` naming the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as name:
    ...     folder = pathlib.Path(name)
    ...     first = write_atomic(folder / "out.txt", "hello").read_text()
    ...     try:
    ...         write_atomic(folder / "out.txt", "again")
    ...     except InputError as error:
    ...         refused = str(error).endswith("exists already; pass --force to replace it")
    ...     left = sorted(p.name for p in folder.iterdir())
    >>> first, refused, left
    ('hello', True, ['out.txt'])
    """
    target = check_output_path(path, force=force)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as error:
        raise InputError(f"cannot write here: {error.strerror or error}", where=str(target)) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"cannot write: {error.strerror or error}", where=str(target)) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
