"""Writing output files safely: all or nothing, and never over a file unless asked."""

from __future__ import annotations

import os
import secrets
import stat
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


STANDARD_OUTPUT = "-"


def output_path(output: str | None, *, force: bool = False, option: str = "-o") -> Path | None:
    """Where a command's ``-o`` sends its output, checked before any work is done.

    None means standard output: no ``-o``, or ``-o -``. Any other name must pass
    :func:`check_output_path`. An empty name is refused rather than taken for standard output:
    ``-o "$OUT"`` with ``OUT`` unset would otherwise print the file's contents instead of writing it.

    Examples
    --------
    >>> output_path(None) is None, output_path("-") is None
    (True, True)
    >>> output_path("")
    Traceback (most recent call last):
    ...
    graph.errors.InputError: -o: the output file name is empty; name a file, or - for standard output
    """
    if output is None or output == STANDARD_OUTPUT:
        return None
    if not output.strip():
        raise InputError("the output file name is empty; name a file, or - for standard output", where=option)
    return check_output_path(output, force=force)


def _new_part_file(target: Path) -> tuple[int, str]:
    """A new temporary file beside ``target``, with the permissions a plain ``open`` gives (0666
    less the umask; ``tempfile.mkstemp`` would make it 0600, readable by its owner only)."""
    for _ in range(100):
        temporary = str(target.parent / f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


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
        handle, temporary = _new_part_file(target)
    except OSError as error:
        raise InputError(f"cannot write here: {error.strerror or error}", where=str(target)) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        if target.exists():  # a replaced file keeps its permissions, as writing over it would
            os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"cannot write: {error.strerror or error}", where=str(target)) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
