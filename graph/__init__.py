"""guidegraph: clinical guidance as a knowledge graph.

>>> from graph import KnowledgeBase
>>> kb = KnowledgeBase.load()
>>> kb.stats()["guidelines"]
2
"""

from .errors import GuideGraphError, InputError, ParseError, ValidationFailed
from .kb import KnowledgeBase

__all__ = ["GuideGraphError", "InputError", "KnowledgeBase", "ParseError", "ValidationFailed"]
