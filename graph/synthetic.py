"""Synthetic guideline libraries for benchmarks and scale tests: benchmark data, never guidance.

``generate_library(n, seed=..., out_dir=...)`` writes ``n`` guideline documents, each with its
decision pathway, made by varying the seed documents of a library the way a real library grows:

* other drugs of the same class from the terminology (a permutation within each class, so a
  sentence that contrasts two drugs still names two drugs);
* doses scaled by a per-document factor;
* conditions renamed: each "family" of documents (``FAMILY_SIZE`` of them) is about its own
  made-up condition, so a patient matches a few pathways of a large library, not all of them;
* some headings renamed, bullets shuffled within their runs, and sections added (with bullets
  drawn from the seed documents).

Every title starts with ``SYNTHETIC_TITLE``, and the folder holds a ``SYNTHETIC.md`` note: these
documents are benchmark data only and must never be shipped in ``guidelines/`` (the generator
refuses that folder). The same ``seed`` always gives the same files, and document ``i`` does not
depend on ``n``: the library of 10 is the first 10 documents of the library of 1,000.

The pathways are the seed pathways with every IRI moved to the new document: a statement IRI
(``kb:{id}/{section-slug}/{n}``) follows its line through renamed sections and shuffled bullets,
computed with the parser's own section rules, so every ``gg:recommends`` names a statement that
the new document really has. The patient facts are declared once, in ``synthetic-facts.pathway.ttl``,
with the made-up condition keys added to the values of ``condition``.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF, RDFS

from .errors import InputError
from .ingest import _assign_slugs, _build_sections, _lines
from .library import DEFAULT_LIBRARY, PATHWAY_SUFFIX, TERMINOLOGY_FILE, Library
from .rdfmodel import statement_iri
from .review import REVIEWED_SUFFIX, reviewed_text
from .store import nt_term, ntriples
from .terminology import Lexicon
from .vocab import GG, KB, SH

SYNTHETIC_TITLE = "Synthetic benchmark document — "
MARKER_FILE = "SYNTHETIC.md"
FACTS_FILE = "synthetic-facts" + PATHWAY_SUFFIX
INFO_FILE = "synthetic.json"
FAMILY_SIZE = 5  # documents per made-up condition: a patient's condition matches about this many
DOSE_FACTORS = (0.5, 0.75, 1, 1.25, 1.5, 2)
HEADING_QUALIFIERS = ("Overview", "in Practice", "Key Points", "Summary", "Practical Notes")
ADDED_HEADINGS = ("Practical Notes", "Shared Decision Making", "Service Organisation",
                  "Patient Information", "Local Implementation", "Documentation")
# The last word of a made-up condition's name, by the seed condition it stands for. None of these
# is a name the terminology knows alone, so the made-up name is not read as a real condition.
CONDITION_WORDS = {"lupus_nephritis": "nephritis", "sle_extrarenal": "disease",
                   "autoimmune_hepatitis": "hepatitis", "vasculitis": "angiitis",
                   "other_autoimmune": "syndrome"}
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
_DOSE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?:(\s*[-–]\s*)(\d+(?:\.\d+)?))?(?=\s*(?:mg/kg|mg|g)\b)")


@dataclass(frozen=True)
class SyntheticLibrary:
    """What :func:`generate_library` wrote: the folder, the document ids, and for each made-up
    condition family its condition keys (the values a benchmark patient's ``condition`` takes)."""

    root: Path
    documents: tuple[str, ...]
    families: tuple[dict, ...]  # [{"stem": "kavobi", "conditions": {"lupus_nephritis": "lupus_nephritis_kavobi", ...}}]
    seed: int

    @property
    def condition_keys(self) -> list[str]:
        return [key for family in self.families for key in family["conditions"].values()]


def generate_library(n: int, *, seed: int = 0, out_dir: str | Path, source: str | Path | None = None) -> SyntheticLibrary:
    """Write a synthetic library of ``n`` documents with pathways into ``out_dir``.

    Parameters
    ----------
    n : how many documents (1 or more).
    seed : the random seed; the same seed gives byte-identical files.
    out_dir : a new or empty folder, or one this function wrote before (it is replaced). Never
        the bundled ``guidelines/`` folder.
    source : the library whose documents and pathways are varied (default: the bundled seeds).

    Returns
    -------
    SyntheticLibrary

    Examples
    --------
    >>> import tempfile
    >>> lib = generate_library(3, seed=1, out_dir=tempfile.mkdtemp())
    >>> lib.documents
    ('synthetic-00000', 'synthetic-00001', 'synthetic-00002')
    >>> (lib.root / "synthetic-00000.txt").read_text().startswith(SYNTHETIC_TITLE)
    True
    """
    if not isinstance(n, int) or n < 1:
        raise InputError(f"the number of documents must be a positive integer, not {n!r}")
    root = _prepare(Path(out_dir))
    seeds = _read_seeds(Library.at(source))
    lexicon = seeds[0].lexicon
    pool = [line for s in seeds for line in s.lines if line.startswith("- ")]
    families: dict[int, dict] = {}
    ids = []
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")
        origin = seeds[i % len(seeds)]
        family = i // FAMILY_SIZE
        if family not in families:
            stem = _stem(seed, family)
            families[family] = {"stem": stem, "conditions": {c: f"{c}_{stem}" for c in CONDITION_WORDS}}
        doc_id = f"synthetic-{i:05d}"
        text, pathway, reviewed = _variant(origin, doc_id, families[family], lexicon, pool, rng)
        (root / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        (root / f"{doc_id}{PATHWAY_SUFFIX}").write_bytes(pathway)
        (root / f"{doc_id}{REVIEWED_SUFFIX}").write_text(reviewed, encoding="utf-8")
        ids.append(doc_id)
    shutil.copyfile(seeds[0].terminology_file, root / TERMINOLOGY_FILE)
    condition_keys = [key for f in families.values() for key in f["conditions"].values()]
    (root / FACTS_FILE).write_bytes(_facts(seeds, condition_keys))
    info = {"n": n, "seed": seed, "families": list(families.values())}
    (root / INFO_FILE).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    (root / MARKER_FILE).write_text(
        "# Synthetic benchmark library\n\nWritten by `graph/synthetic.py` for benchmarks and scale tests. "
        "These documents vary real seed documents mechanically (drug names, doses, made-up conditions): "
        "they are NOT clinical guidance and must never be shipped in `guidelines/`.\n",
        encoding="utf-8",
    )
    return SyntheticLibrary(root, tuple(ids), tuple(families.values()), seed)


def read_library_info(root: str | Path) -> SyntheticLibrary:
    """The :class:`SyntheticLibrary` a folder holds (from its ``synthetic.json``)."""
    root = Path(root)
    try:
        info = json.loads((root / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(f"{root} holds no synthetic library (no readable {INFO_FILE})") from None
    ids = tuple(f"synthetic-{i:05d}" for i in range(info["n"]))
    return SyntheticLibrary(root, ids, tuple(info["families"]), info["seed"])


# ---------------------------------------------------------------- the seeds


@dataclass(frozen=True)
class _Seed:
    doc_id: str
    lines: list[str]
    pathway: Graph
    lexicon: Lexicon
    terminology_file: Path
    kinds: dict[int, str]  # line number -> the parser's line kind
    positions: dict[int, tuple[str, int]]  # statement line -> (section slug, ordinal)
    rows: tuple[tuple, ...]  # the pathway's triples but the fact declarations, as N-Triples terms
    named: dict[int, str]  # line number -> N-Triples IRI of the statements the pathway names


def _read_seeds(library: Library) -> list[_Seed]:
    from .kb import read_turtle

    lexicon = Lexicon.from_graph(read_turtle(library.terminology_file))
    seeds = []
    for doc_id in library.document_ids():
        path = library.root / f"{doc_id}{PATHWAY_SUFFIX}"
        if not path.exists():
            continue  # a document without a pathway gives no decision layer to vary
        lines = library.read_document(doc_id).lstrip("\ufeff").splitlines()
        pathway = to_canonical_graph(read_turtle(path))  # blank-node labels that do not change between runs
        facts = _fact_closure(pathway)
        rows = tuple(sorted(((nt_term(s), p, o) for s, p, o in pathway if s not in facts),
                            key=lambda row: (row[0], str(row[1]), nt_term(row[2]))))
        positions = _statement_positions(lines)
        iris = {nt_term(o) for o in pathway.objects(None, GG.recommends)}
        named = {line: iri for line, (slug, n) in positions.items() if (iri := nt_term(statement_iri(doc_id, slug, n))) in iris}
        seeds.append(_Seed(doc_id, lines, pathway, lexicon, library.terminology_file,
                           _kinds(lines), positions, rows, named))
    if not seeds:
        raise InputError(f"{library.root} holds no document with a pathway to vary")
    return seeds


def _prepare(root: Path) -> Path:
    root = root.expanduser().resolve()
    if root == DEFAULT_LIBRARY.resolve() or DEFAULT_LIBRARY.resolve() in root.parents:
        raise InputError("synthetic documents are benchmark data: never write them into guidelines/")
    if root.exists():
        if not root.is_dir():
            raise InputError("is not a folder", where=str(root))
        if any(root.iterdir()):
            if not (root / MARKER_FILE).exists():
                raise InputError("the folder is not empty and holds no synthetic library to replace", where=str(root))
            shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    return root


def _stem(seed: int, family: int) -> str:
    """A made-up word of three syllables for a condition family: letters only, stable for a seed."""
    digest = hashlib.sha256(f"{seed}/{family}".encode()).digest()
    return "".join(_SYLLABLES[b % len(_SYLLABLES)] for b in digest[:3])


# ---------------------------------------------------------------- one document


def _variant(origin: _Seed, doc_id: str, family: dict, lexicon: Lexicon, pool: list[str], rng: random.Random):
    substitute = _substitution(lexicon, family["stem"], rng)
    factor = rng.choice(DOSE_FACTORS)
    lines: list[tuple[int | None, str]] = []  # (seed line number or None, text)
    for number, raw in enumerate(origin.lines, start=1):
        lines.append((number, raw))
    kinds = origin.kinds
    body: list[tuple[int | None, str]] = []
    for number, raw in lines:
        kind = kinds.get(number)
        if number == 1:
            text = SYNTHETIC_TITLE + substitute(raw)
        elif kind == "heading":
            text = substitute(raw)
            if rng.random() < 0.25:
                text = f"{text} {rng.choice(HEADING_QUALIFIERS)}"
        else:
            text = _scale_doses(substitute(raw), factor) if raw.strip() else raw
        body.append((number, text))
    body = _shuffle_bullets(body, kinds, rng)
    body = _add_sections(body, kinds, pool, substitute, factor, rng)
    text = "\n".join(t for _, t in body) + "\n"
    moved, reviewed = _statement_map(origin, doc_id, body)
    return text, _pathway(origin, doc_id, moved, family, substitute), reviewed_text(f"{KB}{doc_id}/pathway", reviewed)


def _kinds(lines: list[str]) -> dict[int, str]:
    """Line number to the parser's line kind ("heading", "bullet", "lead_in", "plain")."""
    return {line.number: line.kind for line in _lines("\n".join(lines))}


def _shuffle_bullets(body, kinds, rng):
    """Shuffle runs of two or more consecutive bullets (half of the runs)."""
    out, run = [], []

    def flush():
        if len(run) > 1 and rng.random() < 0.5:
            rng.shuffle(run)
        out.extend(run)
        run.clear()

    for item in body:
        if item[0] is not None and kinds.get(item[0]) == "bullet":
            run.append(item)
        else:
            flush()
            out.append(item)
    flush()
    return out


def _add_sections(body, kinds, pool, substitute, factor, rng):
    """Insert 0-2 sections, each before a heading that follows content (so no group changes)."""
    spots = [i for i in range(2, len(body)) if kinds.get(body[i][0]) == "heading" and kinds.get(body[i - 1][0]) != "heading"]
    chosen = sorted(rng.sample(spots, k=min(len(spots), rng.randint(0, 2))), reverse=True)
    for index in chosen:
        heading = rng.choice(ADDED_HEADINGS)
        if rng.random() < 0.5:
            heading = f"{heading} {rng.choice(HEADING_QUALIFIERS)}"
        bullets = [_scale_doses(substitute(line), factor) for line in rng.sample(pool, k=rng.randint(1, 3))]
        body[index:index] = [(None, heading)] + [(None, b) for b in bullets]
    return body


def _scale_doses(text: str, factor: float) -> str:
    """Every number before mg, g or mg/kg times ``factor``.

    >>> _scale_doses("prednisone 30-60 mg daily, then 0.5-1 mg/kg/day; trough 4-6 ng/mL", 1.5)
    'prednisone 45-90 mg daily, then 0.75-1.5 mg/kg/day; trough 4-6 ng/mL'
    """
    if factor == 1:
        return text

    def scaled(number: str) -> str:
        return f"{round(float(number) * factor, 3):g}"

    def replace(match: re.Match) -> str:
        low = scaled(match[1])
        return low if match[3] is None else f"{low}{match[2]}{scaled(match[3])}"

    return _DOSE.sub(replace, text)


def _substitution(lexicon: Lexicon, stem: str, rng: random.Random):
    """A function that renames drugs (a permutation within each drug class) and conditions (the
    family's made-up ones) in a line of text."""
    swap = {}
    for drugs in _drug_classes(lexicon):
        if len(drugs) > 1 and rng.random() < 0.6:
            shuffled = list(drugs)
            rng.shuffle(shuffled)
            swap.update({a.key: b for a, b in zip(drugs, shuffled) if a.key != b.key})
    pattern, names = _name_pattern(lexicon)

    def replace(match: re.Match) -> str:
        surface = match[1]
        kind, key = names.get(surface) or names[surface.lower()]
        if kind == "condition":
            word = f"{stem} {CONDITION_WORDS[key]}"
        elif key not in swap:
            return surface
        elif surface.isupper():
            target = swap[key]
            word = next((s for s in target.synonyms if s.isupper() and len(s) <= 8), target.label)
        else:
            word = swap[key].label
        if surface[:1].isupper() and not word[:1].isupper():
            word = " ".join(w[:1].upper() + w[1:] for w in word.split()) if surface.istitle() else word[:1].upper() + word[1:]
        return word

    return lambda text: pattern.sub(replace, text)


_PATTERNS: dict[int, tuple] = {}


def _drug_classes(lexicon: Lexicon) -> list[tuple]:
    by_class: dict[str, list] = {}
    for drug in lexicon.drugs.values():
        by_class.setdefault(drug.parent or "", []).append(drug)
    return [tuple(sorted(drugs, key=lambda d: d.key)) for _, drugs in sorted(by_class.items())]


def _name_pattern(lexicon: Lexicon) -> tuple[re.Pattern, dict]:
    """One regular expression over every drug name and every seed condition's name (compiled once
    per lexicon), and what each name stands for: ("drug", key) or ("condition", key)."""
    if id(lexicon) not in _PATTERNS:
        names: dict[str, tuple[str, str]] = {}  # name (lower case unless an abbreviation) -> (kind, key)
        for key, drug in lexicon.drugs.items():
            for name in drug.names:
                names[name if name.isupper() else name.lower()] = ("drug", key)
        for key, condition in lexicon.conditions.items():
            if key in CONDITION_WORDS:
                for name in condition.names:
                    names[name if name.isupper() else name.lower()] = ("condition", key)
        alternatives = sorted(names, key=len, reverse=True)
        pattern = re.compile(
            r"(?<!\w)(" + "|".join(
                re.escape(n) if n.isupper() else "(?i:" + re.escape(n) + ")" for n in alternatives
            ) + r")(?!\w)"
        )
        _PATTERNS[id(lexicon)] = (pattern, names, lexicon)  # the lexicon is kept so its id stays unique
    return _PATTERNS[id(lexicon)][:2]


def _statement_positions(lines: list[str]) -> dict[int, tuple[str, int]]:
    """Line number to (section slug, ordinal) for every statement line, by the parser's rules."""
    parsed = _lines("\n".join(lines))
    sections = _build_sections(parsed[0], parsed[1:])
    _assign_slugs(sections)
    return {item.number: (section.slug, ordinal)
            for section in sections for ordinal, item in enumerate(section.items, start=1)}


def _statement_map(origin: _Seed, doc_id: str, body) -> tuple[dict[str, str], dict[str, tuple[int, str]]]:
    """The N-Triples IRI of each seed statement the pathway names, and of the same line in the new
    document; and each such new statement's line and source text, as its pathway's curator would
    have checked them (:mod:`graph.review`)."""
    named = origin.named
    after = _statement_positions([t for _, t in body])
    moved, reviewed = {}, {}
    for new_number, (old_number, text) in enumerate(body, start=1):
        if old_number in named and new_number in after:
            slug, ordinal = after[new_number]
            moved[named[old_number]] = f"<{KB}{doc_id}/{slug}/{ordinal}>"
            reviewed[f"{KB}{doc_id}/{slug}/{ordinal}"] = (new_number, text)
    return moved, reviewed


# ---------------------------------------------------------------- pathways and facts


def _fact_closure(graph: Graph) -> set:
    """The declarations of patient facts: their subjects and the blank nodes they reach."""
    todo = list(graph.subjects(RDF.type, GG.PatientFact))
    seen = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(o for o in graph.objects(node, None) if isinstance(o, BNode))
    return seen


def _pathway(origin: _Seed, doc_id: str, moved: dict, family: dict, substitute) -> bytes:
    old_base, new_base = f"<{KB[origin.doc_id]}", f"<{KB[doc_id]}"
    bnode_prefix = "_:" + doc_id.replace("-", "") + "x"
    conditions = {old: Literal(new) for old, new in family["conditions"].items()}

    def subject(text: str) -> str:
        if text.startswith("_:"):
            return bnode_prefix + text[2:]
        if text.startswith(old_base):
            rest = text[len(old_base):]
            if rest == ">" or rest.startswith("/pathway"):
                return new_base + rest
            if text not in moved:
                raise AssertionError(f"{text} has no counterpart in {doc_id}")  # a bug of this module
            return moved[text]
        return text

    lines = [f"# Synthetic benchmark pathway derived from {origin.doc_id}: benchmark data, not clinical guidance.\n"]
    for s, p, o in origin.rows:
        if isinstance(o, Literal):
            if p == GG.value and str(o) in conditions:
                o = conditions[str(o)]
            elif p == RDFS.label:
                o = Literal(substitute(str(o)))
            obj = nt_term(o)
        else:
            obj = subject(nt_term(o))
        lines.append(f"{subject(s)} <{p}> {obj} .\n")
    return "".join(lines).encode("utf-8")


def _facts(seeds: list[_Seed], condition_keys: list[str]) -> bytes:
    """Every seed's patient-fact declarations once, with the made-up conditions as values."""
    graph = Graph()
    for seed in seeds:
        for node in _fact_closure(seed.pathway):
            for _, p, o in seed.pathway.triples((node, None, None)):
                graph.add((node, p, o))
    condition = KB["fact/condition"]
    listed = graph.value(condition, SH["in"])
    if listed is not None:  # append to the RDF list by hand: rdflib's Collection.append walks it each time
        last = listed
        while graph.value(last, RDF.rest) not in (None, RDF.nil):
            last = graph.value(last, RDF.rest)
        graph.remove((last, RDF.rest, RDF.nil))
        for n, key in enumerate(condition_keys):
            cell = BNode(f"syntheticcondition{n}")
            graph.add((last, RDF.rest, cell))
            graph.add((cell, RDF.first, Literal(key)))
            last = cell
        graph.add((last, RDF.rest, RDF.nil))
    for key in condition_keys:
        graph.add((condition, GG.allowedValue, Literal(key)))
    header = "# Patient facts of a synthetic benchmark library (the seeds' declarations, made-up conditions added).\n"
    return header.encode() + ntriples(sorted(graph))
