"""Self-contained vis-network pages: the page skeleton every interactive graph view shares, and the
graph explorer's neighbourhood view built on it.

A clinic's offline or locked-down network reaches no CDN, so vis-network's script and style (shipped
inside the pyvis package) are inlined: opening a page fetches nothing. Text is safe by construction:
vis-network draws labels on a canvas and shows string tooltips as text; data goes into the page as
JSON with ``<``, ``>`` and ``&`` escaped (it cannot end a ``<script>`` element), headings through
``html.escape``, and side panels are filled with ``textContent`` only.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path

from ..explore import Neighbourhood, legend

VIS_DIR = Path(__import__("pyvis").__file__).parent / "templates" / "lib" / "vis-9.1.2"

#: Views with more nodes than this start with physics off after a short stabilisation, so a big
#: neighbourhood settles in about a second instead of wobbling for minutes.
STABILISATION_ITERATIONS = 200
#: Characters of a label drawn on the canvas; the whole label is in the tooltip and the side panel.
CANVAS_LABEL_CHARS = 28
#: Views with more links than this draw link names only in tooltips: dozens of "mentionsDrug"
#: labels on top of each other hide the nodes.
MAX_LABELLED_EDGES = 40
#: Node types whose neighbourhoods read best as a tree (top to bottom) rather than a cloud.
HIERARCHICAL_TYPES = frozenset({"pathway", "decision node", "branch", "criterion"})


@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
    """vis-network's CSS and JavaScript, as text ready to inline (read once per process)."""
    css = (VIS_DIR / "vis-network.css").read_text(encoding="utf-8")
    js = (VIS_DIR / "vis-network.min.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    return css, js


def script_json(value) -> str:
    """JSON that cannot end a <script> element or open a comment, whatever the labels say.

    >>> script_json({"label": "</script><img src=x onerror=alert(1)>"})
    '{"label": "\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


_SKELETON = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{vis_css}</style>
<style>{style}</style>
</head>
<body>
{body}
<script>{vis_js}</script>
<script>
{script}
</script>
</body>
</html>
"""


def page(*, title: str, body: str, script: str, style: str = "") -> str:
    """A whole HTML page with vis-network inlined.

    Parameters
    ----------
    title : plain text; escaped here.
    body : the page's markup, already escaped by the caller.
    script : JavaScript run after vis-network has loaded; data in it goes through :func:`script_json`.
    style : extra CSS.

    Examples
    --------
    >>> text = page(title="<x>", body="<div id='g'></div>", script="var n = vis.Network;")
    >>> "<title>&lt;x&gt;</title>" in text, "<script src" in text, "<link" in text
    (True, False, False)
    """
    css, js = vis_assets()
    return _SKELETON.format(title=html.escape(title), vis_css=css, style=style, body=body, vis_js=js, script=script)


# ---------------------------------------------------------------- the explorer's neighbourhood view

_STYLE = """
  html, body { margin: 0; height: 100%; font-family: "Source Sans Pro", Helvetica, Arial, sans-serif; color: #1b1b1b; }
  body { display: flex; flex-direction: column; }
  header { padding: 4px 10px; font-size: 13px; border-bottom: 1px solid #ddd; }
  header ul { list-style: none; padding: 0; margin: 2px 0; display: flex; flex-wrap: wrap; gap: 2px 14px; }
  header p { margin: 2px 0; }
  .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
  .shape { color: #666; }
  main { flex: 1; display: flex; min-height: 300px; }
  #graph { flex: 1; }
  #panel { width: 300px; overflow: auto; border-left: 1px solid #ddd; padding: 6px 10px; font-size: 13px; white-space: pre-wrap; word-break: break-word; }
  #panel h3 { font-size: 14px; margin: 4px 0; white-space: normal; }
  div.vis-tooltip { white-space: pre-wrap; max-width: 420px; font-size: 12px; }
"""

_SCRIPT = """
(function () {
  var nodes = new vis.DataSet(%(nodes)s);
  var edges = new vis.DataSet(%(edges)s);
  var options = %(options)s;
  var network = new vis.Network(document.getElementById("graph"), {nodes: nodes, edges: edges}, options);
  network.once("stabilizationIterationsDone", function () { network.setOptions({physics: false}); });
  // The panel is filled with textContent only: labels and literals never become markup.
  function show(id) {
    var node = nodes.get(id);
    var panel = document.getElementById("panel");
    if (!node) { return; }
    panel.replaceChildren();
    var h = document.createElement("h3");
    h.textContent = node.full;
    panel.appendChild(h);
    var p = document.createElement("div");
    p.textContent = node.title;
    panel.appendChild(p);
  }
  network.on("selectNode", function (event) { show(event.nodes[0]); });
  window.guidegraphNetwork = network;
  show(%(center)s);
})();
"""


def distances(view: Neighbourhood) -> dict[str, int]:
    """Links from the centre to each node of a view, in either direction (breadth first).

    A tree layout puts each node in the column of its distance, so a pathway reads from its entry
    outwards and a view that mixes pathways with statements and drugs stays a few columns wide.

    >>> from graph.explore import Edge, Node
    >>> nodes = tuple(Node(i, i, "drug", "#ff7f0e", "dot", i) for i in "abc")
    >>> distances(Neighbourhood("a", 2, nodes, (Edge("b", "a", "x"), Edge("b", "c", "y")), False, 3))
    {'a': 0, 'b': 1, 'c': 2}
    """
    links: dict[str, set[str]] = {node.iri: set() for node in view.nodes}
    for edge in view.edges:
        links.setdefault(edge.source, set()).add(edge.target)
        links.setdefault(edge.target, set()).add(edge.source)
    found = {view.center: 0}
    frontier = [view.center]
    while frontier:
        following = []
        for iri in frontier:
            for other in sorted(links.get(iri, ())):
                if other not in found:
                    found[other] = found[iri] + 1
                    following.append(other)
        frontier = following
    return {node.iri: found.get(node.iri, view.depth) for node in view.nodes}


def vis_nodes(view: Neighbourhood, *, levels: bool = False) -> list[dict]:
    """vis-network node objects of a view: colour and shape by type, the centre drawn larger;
    with ``levels``, each node's tree level is its distance from the centre.

    >>> from graph.explore import Node
    >>> view = Neighbourhood("a", 1, (Node("a", "<b>x</b>", "drug", "#ff7f0e", "diamond", "drug: a"),), (), False, 1)
    >>> vis_nodes(view)[0]["label"], vis_nodes(view)[0]["size"]
    ('<b>x</b>', 24)
    """
    out = []
    level_of = distances(view) if levels else {}
    for node in view.nodes:
        centre = node.iri == view.center
        short = node.label if len(node.label) <= CANVAS_LABEL_CHARS else node.label[: CANVAS_LABEL_CHARS - 1] + "…"
        out.append({
            "id": node.iri,
            "label": node.label if centre else short,
            "full": node.label,
            "title": node.title,  # a string: vis-network shows it as text
            "group": node.type,
            "shape": node.shape,
            "color": {"background": node.colour, "border": "#222222" if centre else node.colour},
            "borderWidth": 3 if centre else 1,
            "size": 24 if centre else 14,
            "font": {"size": 16 if centre else 12, "color": label_colour(node.colour, node.shape)},
            **({"level": level_of[node.iri]} if levels else {}),
        })
    return out


#: Shapes that draw their label inside the node; the others draw it below, on the page background.
LABEL_INSIDE = frozenset({"box", "ellipse", "circle", "database", "text"})


def label_colour(background: str, shape: str) -> str:
    """A readable label colour: white inside a dark node, near-black elsewhere.

    >>> label_colour("#5254a3", "box"), label_colour("#5254a3", "star"), label_colour("#aec7e8", "box")
    ('#ffffff', '#1b1b1b', '#1b1b1b')
    """
    if shape not in LABEL_INSIDE or shape == "text":
        return "#1b1b1b"
    red, green, blue = (int(background.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue  # ITU-R BT.709, 0-255
    return "#ffffff" if luminance < 128 else "#1b1b1b"


def vis_edges(view: Neighbourhood) -> list[dict]:
    """vis-network edge objects: one arrow per link, labelled with its predicate (in the tooltip
    only, when the view has more than ``MAX_LABELLED_EDGES`` links)."""
    labelled = len(view.edges) <= MAX_LABELLED_EDGES
    return [
        {"id": i, "from": e.source, "to": e.target, "arrows": "to", "title": e.label, **({"label": e.label} if labelled else {})}
        for i, e in enumerate(view.edges)
    ]


def neighbourhood_options(view: Neighbourhood, *, hierarchical: bool) -> dict:
    """vis-network options: a left-to-right tree for pathways, else a stabilised force layout.

    >>> from graph.explore import Node
    >>> view = Neighbourhood("a", 1, (), (), False, 0)
    >>> neighbourhood_options(view, hierarchical=True)["layout"]["hierarchical"]["direction"]
    'LR'
    """
    options = {
        "interaction": {"hover": True, "navigationButtons": True, "keyboard": True, "tooltipDelay": 150},
        "edges": {"font": {"size": 10, "align": "middle", "color": "#555555"}, "color": {"color": "#9e9e9e"},
                  "smooth": {"type": "continuous"}},
    }
    if hierarchical:
        # Left to right: siblings stack vertically, so a node with a dozen branches stays readable.
        # Levels are set per node (distance from the centre): one column per link away.
        options["layout"] = {"hierarchical": {"enabled": True, "direction": "LR", "levelSeparation": 280,
                                              "nodeSpacing": 44, "treeSpacing": 60}}
        options["physics"] = {"enabled": False}
    else:
        options["physics"] = {
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -120, "springLength": 170, "avoidOverlap": 0.4},
            "stabilization": {"enabled": True, "iterations": STABILISATION_ITERATIONS, "fit": True},
        }
    return options


def prefers_hierarchy(view: Neighbourhood) -> bool:
    """Whether a view reads best as a tree: its centre is part of a decision pathway."""
    centre = next((n for n in view.nodes if n.iri == view.center), None)
    return centre is not None and centre.type in HIERARCHICAL_TYPES


def legend_html(view: Neighbourhood) -> str:
    """The legend of the types present, as escaped HTML."""
    items = "".join(
        f'<li><span class="swatch" style="background:{html.escape(colour)}"></span>{html.escape(name)}'
        f' <span class="shape">({html.escape(shape)})</span></li>'
        for name, colour, shape in legend(view)
    )
    return f"<ul>{items}</ul>"


def neighbourhood_page(view: Neighbourhood, *, hierarchical: bool | None = None, title: str = "guidegraph explorer") -> str:
    """One self-contained page drawing a neighbourhood, with a legend and a node-detail panel.

    Parameters
    ----------
    view : from :func:`graph.explore.neighbourhood`.
    hierarchical : a top-down tree layout; None chooses it for pathway nodes (:func:`prefers_hierarchy`).
    title : the page title (plain text).

    Examples
    --------
    >>> from graph.explore import Node
    >>> bad = "<img src=x onerror=alert(1)>"
    >>> view = Neighbourhood("a", 1, (Node("a", bad, "drug", "#ff7f0e", "diamond", bad),), (), False, 1)
    >>> text = neighbourhood_page(view)
    >>> bad in text, "\\\\u003cimg src=x onerror=alert(1)\\\\u003e" in text
    (False, True)
    """
    if hierarchical is None:
        hierarchical = prefers_hierarchy(view)
    count = f"{len(view.nodes)} nodes, {len(view.edges)} links within {view.depth} link(s) of the centre"
    if view.capped:
        count += f" (capped: {view.total} nodes were in reach; the nearest are shown)"
    body = (
        f"<header>{legend_html(view)}<p>{html.escape(count)}. Click a node for its properties.</p></header>"
        '<main><div id="graph"></div><aside id="panel"></aside></main>'
    )
    script = _SCRIPT % {
        "nodes": script_json(vis_nodes(view, levels=hierarchical)),
        "edges": script_json(vis_edges(view)),
        "options": script_json(neighbourhood_options(view, hierarchical=hierarchical)),
        "center": script_json(view.center),
    }
    return page(title=title, body=body, script=script, style=_STYLE)


__all__ = [
    "page", "script_json", "vis_assets", "neighbourhood_page", "vis_nodes", "vis_edges", "neighbourhood_options",
    "prefers_hierarchy", "legend_html", "VIS_DIR", "STABILISATION_ITERATIONS", "HIERARCHICAL_TYPES", "CANVAS_LABEL_CHARS", "label_colour", "distances",
    "MAX_LABELLED_EDGES",
]
