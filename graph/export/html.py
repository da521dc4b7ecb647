"""Decision trees as one self-contained interactive HTML page (pyvis / vis-network).

pyvis builds the nodes, edges and options; the page is the self-contained skeleton of
:mod:`graph.export.visnetwork`, not pyvis's template, because pyvis's templates link vis-network and
bootstrap from public CDNs (even with ``cdn_resources="in_line"`` bootstrap stays remote), which an
offline or locked-down clinic network never reaches. vis-network's script and style, shipped inside
the pyvis package, are inlined: opening the page fetches nothing.

The tree is laid out left to right (siblings stack, so a wide tree of wrapped labels stays on
screen); each decision node shows how many statements it makes applicable, and clicking it lists
them in a side panel with kind, source line, references, text, drug and dose.

Text is safe by construction: vis-network draws labels on a canvas and shows string tooltips as
text; the side panel is built with ``textContent``; the data goes into the page as JSON with ``<``,
``>`` and ``&`` escaped, and headings through ``html.escape``. (pyvis's own template switches every
tooltip to raw HTML when one contains "href".)
"""

from __future__ import annotations

import html
import json

from pyvis.network import Network

from .tree import COLOURS, DISPUTE_COLOUR, SAFETY_NOTE, SOURCE_NOTE, Tree, TreeNode, branch_lines, node_lines, question_lines
from .visnetwork import page, script_json
#: Left to right: siblings stack vertically, which keeps a wide tree of wrapped labels on screen.
LEVEL_SEPARATION = 420
NODE_SPACING = 110

_OPTIONS = {
    "layout": {
        "hierarchical": {
            "enabled": True,
            "direction": "LR",
            "sortMethod": "directed",
            "shakeTowards": "roots",
            "levelSeparation": LEVEL_SEPARATION,
            "nodeSpacing": NODE_SPACING,
            "treeSpacing": NODE_SPACING,
        }
    },
    # A hierarchical layout places every node; physics would only make a large tree wobble.
    "physics": {"enabled": False},
    "interaction": {"hover": True, "navigationButtons": True, "keyboard": True, "tooltipDelay": 150},
    "nodes": {"shape": "box", "font": {"face": "Helvetica, Arial, sans-serif", "size": 14, "align": "left"}},
    "edges": {"font": {"size": 11, "align": "horizontal", "background": "#ffffff"}, "smooth": {"type": "cubicBezier", "forceDirection": "horizontal"}},
}


def _colour(style: str) -> dict:
    c = COLOURS[style]
    return {"background": c["fill"], "border": c["stroke"], "highlight": {"background": c["fill"], "border": c["stroke"]}}


def _node_label(node: TreeNode) -> str:
    lines = node_lines(node) + question_lines(node)
    if node.statements:
        count = len(node.statements)
        lines.append(f"▸ {count} statement{'s' if count > 1 else ''} (click)")
    return "\n".join(lines)


def network(trees: list[Tree]) -> Network:
    """The pyvis network of the trees: decision nodes (with their statement counts), labelled branches."""
    net = Network(directed=True, height="100%", width="100%", cdn_resources="in_line")
    for tree in trees:
        for node in tree.nodes:
            style = node.state if node.state in ("path", "off", "undecided") else "decision"
            net.add_node(
                node.key,
                label=_node_label(node),
                title=node.label + (f"\n{node.question}" if node.question else ""),
                shape="box",
                level=node.depth,
                color=_colour(style),
                font={"color": COLOURS[style]["font"]},
                borderWidth=3 if node.state == "path" else 1,
                shapeProperties={"borderDashes": [5, 4] if node.state == "undecided" else False},
            )
        for branch in tree.branches:
            style = {"taken": "taken", "not-taken": "not-taken", "undecided": "undecided"}.get(branch.state or "", "branch")
            net.add_edge(
                branch.source,
                branch.target,
                label="\n".join(branch_lines(branch)),
                title=branch.label or branch.criterion,
                color={"color": COLOURS[style]["stroke"]},
                font={"color": COLOURS[style]["font"]},
                width=3 if branch.state == "taken" else 1,
                dashes=branch.state == "undecided",
            )
    net.set_options(json.dumps(_OPTIONS))
    return net


def panel_data(trees: list[Tree]) -> dict:
    """What the side panel shows for each node: its name, question and statements, as plain text."""
    return {
        node.key: {
            "label": node.label,
            "question": node.question or "",
            "pathway": f"{tree.title} ({tree.id})",
            "statements": [
                {"heading": s.heading(), "text": s.text, "guideline": s.guideline, "doses": [d.words() for d in s.doses],
                 "disputes": list(s.disputes)}
                for s in node.statements
            ],
        }
        for tree in trees
        for node in tree.nodes
    }


def _legend_html(trees: list[Tree]) -> str:
    entries = ([t for t in trees if t.patient] or trees)[0].legend() if trees else []
    items = []
    for style, words in entries:
        if style == "branch":
            swatch = '<span class="swatch arrow">→</span>'
        elif style == "statements":
            swatch = '<span class="swatch arrow">▸</span>'
            words = "statements: click a node to list them with kind, source line, [references], drug and dose"
        else:
            c = COLOURS[style]
            border = "dashed" if style == "undecided" else "solid"
            swatch = f'<span class="swatch" style="background:{c["fill"]};border-color:{c["stroke"]};border-style:{border}"></span>'
        items.append(f"<li>{swatch}{html.escape(words)}</li>")
    return "<ul>" + "".join(items) + "</ul>"


_STYLE = """
  html, body { margin: 0; height: 100%; font-family: Helvetica, Arial, sans-serif; color: #1b1b1b; }
  body { display: flex; flex-direction: column; }
  header { padding: 8px 16px; border-bottom: 1px solid #ddd; }
  header h1 { font-size: 18px; margin: 4px 0; }
  header p { margin: 2px 0; font-size: 13px; }
  header ul { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; }
  .swatch { display: inline-block; width: 18px; height: 12px; border: 1px solid; margin-right: 6px; vertical-align: middle; }
  .swatch.arrow { border: none; width: auto; }
  main { flex: 1; display: flex; min-height: 400px; }
  #tree { flex: 1; }
  #panel { width: 440px; overflow: auto; border-left: 1px solid #ddd; padding: 8px 14px; font-size: 13px; }
  #panel h2 { font-size: 15px; margin: 6px 0; }
  #panel .statement { margin: 10px 0; padding: 6px 8px; background: %(fill)s; border-left: 3px solid %(stroke)s; }
  #panel .heading { font-weight: bold; }
  #panel .dose { font-family: monospace; }
  #panel .dispute { color: %(dispute)s; font-weight: bold; }
  div.vis-tooltip { white-space: pre-wrap; max-width: 480px; font-family: Helvetica, Arial, sans-serif; font-size: 13px; }
"""

_SCRIPT = """
(function () {
  var nodes = new vis.DataSet(%(nodes)s);
  var edges = new vis.DataSet(%(edges)s);
  var options = %(options)s;
  var details = %(details)s;
  var network = new vis.Network(document.getElementById("tree"), {nodes: nodes, edges: edges}, options);
  // The panel is built with textContent only: statement text never becomes markup.
  function add(parent, tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) { el.className = cls; }
    parent.appendChild(el);
    return el;
  }
  function show(key) {
    var node = details[key];
    var panel = document.getElementById("panel");
    if (!node) { return; }
    panel.replaceChildren();
    add(panel, "h2", node.label);
    if (node.question) { add(panel, "p", node.question); }
    add(panel, "p", node.pathway, "pathway");
    if (!node.statements.length) { add(panel, "p", "No statements at this node; follow a branch."); }
    node.statements.forEach(function (s) {
      var box = add(panel, "div", "", "statement");
      add(box, "div", s.heading + " · " + s.guideline, "heading");
      add(box, "div", s.text, "text");
      s.doses.forEach(function (d) { add(box, "div", "▸ " + d, "dose"); });
      s.disputes.forEach(function (d) { add(box, "div", "⚠ " + d, "dispute"); });
    });
  }
  network.on("selectNode", function (event) { show(event.nodes[0]); });
  window.guidegraphNetwork = network;
  window.guidegraphShow = show;
  show(%(first)s);
})();
"""


def to_html(trees: list[Tree], *, title: str = "guidegraph decision pathways") -> str:
    """One HTML page, opened without any network access, drawing the trees interactively.

    Examples
    --------
    >>> page = to_html([])
    >>> "<script src" in page, "<link" in page, "vis.Network" in page
    (False, False, True)
    """
    net = network(trees)
    nodes, edges, _heading, _height, _width, options = net.get_network_data()
    pathways = "".join(
        f"<p><strong>{html.escape(t.title)}</strong> ({html.escape(t.id)}). {html.escape(t.source())}"
        + (" Highlighted: this patient's path." if t.patient else "")
        + "</p>"
        for t in trees
    )
    body = (
        f"<header><h1>{html.escape(title)}</h1>{pathways}"
        f"<p><strong>{html.escape(SAFETY_NOTE)}</strong> {html.escape(SOURCE_NOTE)}</p>{_legend_html(trees)}</header>"
        '<main><div id="tree"></div><aside id="panel">'
        "<p>Click a decision node to list the statements it makes applicable.</p></aside></main>"
    )
    script = _SCRIPT % {
        "nodes": script_json(nodes),
        "edges": script_json(edges),
        "options": script_json(json.loads(options)),
        "details": script_json(panel_data(trees)),
        "first": script_json(_first_node(trees)),
    }
    style = (_STYLE.replace("%(fill)s", COLOURS["statements"]["fill"]).replace("%(stroke)s", COLOURS["statements"]["stroke"])
             .replace("%(dispute)s", DISPUTE_COLOUR))
    return page(title=title, body=body, script=script, style=style)


def _first_node(trees: list[Tree]) -> str | None:
    """The node the panel opens on: the patient's last node on the path, else the first entry."""
    on_path = [n.key for t in trees for n in t.nodes if n.state == "path" and n.statements]
    return on_path[-1] if on_path else (trees[0].entry if trees else None)
