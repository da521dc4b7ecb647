"""Errors that reach users as one line, with the exit code the CLI documents."""

from __future__ import annotations


def with_article(word: str) -> str:
    """``word`` after "a" or "an", by its first letter: the words messages put here are read as
    spelled (query forms, statement kinds, type names), so the letter decides.

    >>> with_article("ASK"), with_article("SELECT"), with_article("evidence"), with_article("list")
    ('an ASK', 'a SELECT', 'an evidence', 'a list')
    """
    return f"{'an' if word[:1].lower() in ('a', 'e', 'i', 'o', 'u') else 'a'} {word}"


class GuideGraphError(Exception):
    """Base class: a problem a user can act on. ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None):
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InputError(GuideGraphError):
    """Bad input or usage: a file, an id, a patient fact, a query (exit 2)."""


class ParseError(InputError):
    """A document that cannot be read as a guideline."""


class ValidationFailed(GuideGraphError):
    """The library does not conform to its shapes or structural rules (exit 1)."""

    exit_code = 1
