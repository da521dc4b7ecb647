"""A guideline as its author wrote it, every line marked with what the parser made of it."""

from __future__ import annotations

from dataclasses import dataclass

from .ingest import Document
from .ingest import LINE_BREAK
from .rdfmodel import statement_iri


@dataclass(frozen=True)
class ReaderLine:
    """One source line: its text as written, and the statement it became (if any)."""

    number: int
    text: str
    role: str  # "title" | "heading" | "statement" | "blank"
    statement: str | None = None  # IRI
    kind: str | None = None
    line_of_therapy: str | None = None
    drugs: tuple[str, ...] = ()
    citations: tuple[int, ...] = ()
    depth: int = 0

    def to_dict(self) -> dict:
        return {
            "line": self.number,
            "text": self.text,
            "role": self.role,
            "statement": self.statement,
            "kind": self.kind,
            "line_of_therapy": self.line_of_therapy,
            "drugs": list(self.drugs),
            "citations": list(self.citations),
            "depth": self.depth,
        }


def reader_lines(doc: Document, source_text: str) -> list[ReaderLine]:
    """Every line of the source, in order, marked by role, kind and statement IRI.

    Examples
    --------
    >>> from graph import KnowledgeBase
    >>> kb = KnowledgeBase.load(validate=False)
    >>> doc = kb.documents["lupus-tacrolimus-rebound"]
    >>> lines = reader_lines(doc, kb.library.read_document(doc.id))
    >>> [(l.number, l.role, l.kind) for l in lines[:3]]
    [(1, 'title', None), (2, 'statement', 'recommendation'), (3, 'heading', None)]
    """
    statements = {}
    for section in doc.sections:
        for s in section.statements:
            statements[s.line] = (section, s)
    headings = {section.line: section for section in doc.sections if section.heading}
    depth_of = {section.slug: _depth(doc, section.slug) for section in doc.sections}
    lines = []
    for number, text in enumerate(LINE_BREAK.split(source_text.lstrip("\ufeff")), start=1):
        if number == doc.title_line:
            lines.append(ReaderLine(number, text, "title"))
        elif number in statements:
            section, s = statements[number]
            lines.append(
                ReaderLine(
                    number,
                    text,
                    "statement",
                    statement=str(statement_iri(doc.id, section.slug, s.ordinal)),
                    kind=s.kind,
                    line_of_therapy=s.line_of_therapy,
                    drugs=tuple(s.extraction.drugs),
                    citations=s.citations,
                    depth=depth_of[section.slug] + (1 if s.lead_in_line else 0),
                )
            )
        elif number in headings:
            lines.append(ReaderLine(number, text, "heading", depth=depth_of[headings[number].slug]))
        elif text.strip():
            lines.append(ReaderLine(number, text, "other"))
        else:
            lines.append(ReaderLine(number, text, "blank"))
    return lines


def _depth(doc: Document, slug: str) -> int:
    parents = {section.slug: section.parent_slug for section in doc.sections}
    depth, current = 0, parents.get(slug)
    while current is not None:
        depth, current = depth + 1, parents.get(current)
    return depth


def filter_lines(
    lines: list[ReaderLine],
    *,
    kinds: set[str] | None = None,
    drugs: set[str] | None = None,
    lines_of_therapy: set[str] | None = None,
) -> list[ReaderLine]:
    """Statements matching every given filter, with the title and headings kept for context."""

    def keep(line: ReaderLine) -> bool:
        if line.role != "statement":
            return line.role in ("title", "heading")
        return (
            (not kinds or line.kind in kinds)
            and (not drugs or bool(drugs & set(line.drugs)))
            and (not lines_of_therapy or line.line_of_therapy in lines_of_therapy)
        )

    return [line for line in lines if keep(line)]
