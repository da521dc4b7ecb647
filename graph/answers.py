"""Answers to queries, kept for the life of a load.

A guideline library is read-only between two loads, so the answer to a query (the same text, the
same bindings, the same row cap) cannot change until the next ``load``. Whole-library queries take
Oxigraph a tenth of a second to a second at 1,000 guidelines, most of it the engine's joins, and
the explorer's users open the same saved queries again and again: the second time they are
answered from here. This is the same bargain as the decision graphs (:mod:`graph.catalogue`),
which are built once per load and kept.

Only answers are kept, never errors (a query stopped at its time limit may finish under a larger
one). A store another program can change, a SPARQL server, keeps nothing: only the server knows
when its data changed. The kept rows are bounded (``MAX_KEPT_ROWS`` in all, the least recently
used answer going first), so a long session cannot grow without limit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

MAX_KEPT_ROWS = 100_000  # rows and triples over all kept answers: at most tens of MB of rdflib terms


@dataclass
class Answers:
    """Query answers keyed by (text, bindings, row cap), least recently used first.

    >>> from graph.sparql import QueryResult
    >>> answers = Answers(row_budget=3)
    >>> key = answers.key("ASK { ?s ?p ?o }", {}, 10)
    >>> answers.get(key) is None
    True
    >>> answers.put(key, QueryResult("ASK", boolean=True))
    >>> answers.get(key).boolean, answers.get(key).cached
    (True, True)
    >>> answers.clear(); answers.get(key) is None
    True
    """

    row_budget: int = MAX_KEPT_ROWS
    _kept: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _rows: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # sessions run in threads

    @staticmethod
    def key(text: str, bindings: dict, max_rows: int) -> tuple:
        # Bindings are rdflib terms (checked before); their n3() tells a literal "1" from the IRI <1>.
        return text, tuple(sorted((name, term.n3()) for name, term in bindings.items())), max_rows

    def get(self, key: tuple):
        """The kept answer, marked ``cached``, or None."""
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                return None
            self._kept.move_to_end(key)
        return replace(found, cached=True, elapsed_ms=0.0)

    def put(self, key: tuple, result) -> None:
        """Keep ``result`` unless it alone is larger than the bound; drop the oldest to make room."""
        size = max(1, len(result))
        if size > self.row_budget:
            return
        with self._lock:
            if key in self._kept:
                self._rows -= max(1, len(self._kept.pop(key)))
            self._kept[key] = result
            self._rows += size
            while self._rows > self.row_budget:
                _, oldest = self._kept.popitem(last=False)
                self._rows -= max(1, len(oldest))

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        """Forget every answer: for code that changed ``kb.graph`` itself (the product never does)."""
        with self._lock:
            self._kept.clear()
            self._rows = 0
