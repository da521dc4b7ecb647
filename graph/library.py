"""The guideline library: a folder of source documents (*.txt), curated pathways (*.pathway.ttl)
and the terminology (terminology.ttl)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, ParseError
from .vocab import ID_PATTERN

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LIBRARY = PROJECT_ROOT / "guidelines"
ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
TERMINOLOGY_FILE = "terminology.ttl"
PATHWAY_SUFFIX = ".pathway.ttl"
# Larger documents are refused before they are read: guidance documents are kilobytes.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Library:
    """Where a library's files are. ``Library.at(None)`` is the bundled seed library."""

    root: Path

    @classmethod
    def at(cls, path: str | Path | None = None) -> "Library":
        if path is None:
            return cls(DEFAULT_LIBRARY)
        candidate = Path(path).expanduser()
        if not candidate.is_absolute() and not candidate.exists() and (PROJECT_ROOT / candidate).is_dir():
            candidate = PROJECT_ROOT / candidate  # "guidelines" means the bundled library from anywhere
        if candidate.exists() and not candidate.is_dir():
            kind = "a file" if candidate.is_file() else "a device or special file"
            raise InputError(f"library folder {str(path)!r} is {kind}, not a folder")
        if not candidate.is_dir():
            raise InputError(f"library folder {str(path)!r} does not exist")
        return cls(candidate.resolve())

    def document_ids(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.txt") if ID_PATTERN.match(p.stem))

    def unread_documents(self) -> list[Path]:
        """The ``.txt`` files that are not read: their names are no document id (``Lupus_Flare.txt``)."""
        return sorted(p for p in self.root.glob("*.txt") if not ID_PATTERN.match(p.stem))

    def document_path(self, doc_id: str) -> Path:
        return self.root / f"{doc_id}.txt"

    def pathway_files(self) -> list[Path]:
        return sorted(self.root.glob(f"*{PATHWAY_SUFFIX}"))

    @property
    def terminology_file(self) -> Path:
        local = self.root / TERMINOLOGY_FILE
        return local if local.exists() else DEFAULT_LIBRARY / TERMINOLOGY_FILE

    def read_document(self, doc_id: str) -> str:
        return read_document_file(self.document_path(doc_id))


def read_document_file(path: str | Path, *, check_lines: bool = True) -> str:
    """A document's text, or one clear error naming the file: missing, too large, binary, not
    UTF-8, empty, or (with ``check_lines``) a line longer than a guideline line can be."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file" if not path.exists() else "not a file", where=str(path))
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise ParseError(f"the document is {size:,} bytes; the limit is {MAX_DOCUMENT_BYTES:,}", where=str(path))
    data = path.read_bytes()
    if b"\x00" in data:
        raise ParseError("the file holds NUL bytes: not a text document", where=str(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParseError(f"not UTF-8 text (byte {error.start})", where=str(path)) from None
    if not text.strip():
        raise ParseError("the file is empty" if not text else "the file holds only blank lines", where=str(path))
    if check_lines:
        from .ingest import check_line_lengths

        check_line_lengths(text, where=str(path))
    return text


def check_new_id(library: Library, doc_id: str) -> None:
    """Refuse ids that are not readable IRI segments, or that the library already holds."""
    if not ID_PATTERN.match(doc_id or ""):
        raise InputError(f"id {doc_id!r} must be lower-case letters, digits and single hyphens ([a-z0-9-]+)")
    if library.document_path(doc_id).exists():
        raise InputError(f"id {doc_id!r} exists already in {library.root}")


def add_document(library: Library, text: str, doc_id: str) -> Path:
    """Write a checked document's text into the library, atomically: a refused or failed ingest
    leaves it unchanged (no half-written file, no temporary file, never over a document added
    meanwhile). The text is the one that was checked, never the source file read again, which
    may have changed since. UTF-8 decoding keeps every byte, so the copy is byte-identical."""
    from .files import write_atomic

    return write_atomic(library.document_path(doc_id), text.encode("utf-8"))
