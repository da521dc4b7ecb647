"""Namespaces of the guidegraph vocabulary and instance IRIs (see docs/model.md)."""

from __future__ import annotations

import re
import unicodedata

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

GG = Namespace("https://w3id.org/guidegraph/ontology#")
KB = Namespace("https://w3id.org/guidegraph/kb/")
CITO = Namespace("http://purl.org/spar/cito/")
SCHEMA = Namespace("http://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")

PREFIXES = {
    "gg": GG,
    "kb": KB,
    "cito": CITO,
    "schema": SCHEMA,
    "dcterms": DCTERMS,
    "skos": SKOS,
    "prov": PROV,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "sh": SH,
}

# Statement kinds as the result JSON names them, and their classes.
KINDS = {
    "recommendation": GG.Recommendation,
    "pitfall": GG.Pitfall,
    "monitoring": GG.Monitoring,
    "assessment": GG.Assessment,
    "rationale": GG.Rationale,
    "evidence": GG.Evidence,
    "timeline": GG.Timeline,
}

LINES_OF_THERAPY = {
    "first-line": GG.FirstLine,
    "second-line": GG.SecondLine,
    "third-line": GG.ThirdLine,
    "alternative": GG.Alternative,
}

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def bind_prefixes(graph) -> None:
    """Bind the project's prefixes on an rdflib graph, so serialisations read well."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)


def slugify(text: str) -> str:
    """A readable IRI segment for a heading or a name.

    >>> slugify("Don't Wait and Watch")
    'dont-wait-and-watch'
    >>> slugify("First-Line Approach: Switch to Alternative Immunosuppression")
    'first-line-approach-switch-to-alternative-immunosuppression'
    >>> slugify("≥ 30 %")
    '30'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ascii_text = re.sub(r"['’`]", "", ascii_text.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug or "untitled"
