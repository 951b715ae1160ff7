"""Attack: a student names a class sub-folder (or a dataset folder, a run, an upload) so that it is markup:
``<img src=x onerror=…>``, ``</script><script>…``, a Markdown link or image. What the lab builds from such names
must hold no live markup: the feature map's hover view (legend and tooltip, where the old page put class names
into ``innerHTML``), its Plotly legend, the JSON in its script, and Markdown text."""

import html.parser
import json
import re

import numpy as np
import pytest
import torch

from replearn_core.escape import html_text, markdown_text, script_json
from replearn_core.projection.figures import animation_figure, hover_map_html, map_figure
from replearn_core.projection.maps import FeatureMap

HOSTILE = ['<img src=x onerror="window.__pwned=1">', "</script><script>window.__pwned=1</script>",
           "<!--", "a\u2028b\u2029c", "[click](javascript:alert(1))", "![i](http://attacker.example/x.png)",
           ":red[loud] $x$ **bold** `code` # heading", "__DATA__ __ATLAS__ __HEIGHT__", "&lt;img&gt; & \"'"]


def hostile_map(names=HOSTILE, history=False) -> FeatureMap:
    n = 3 * len(names)
    rng = np.random.default_rng(0)
    return FeatureMap(source="init", source_label="x", checkpoint="c", method="tsne", params={},
                      coords=rng.standard_normal((n, 2)).astype(np.float32),
                      labels=np.arange(n) % len(names), class_names=list(names), indices=np.arange(n),
                      features=np.zeros((n, 4)), dataset="folder:/tmp/x", split="test", image_size=32, scores={},
                      wall_s=0.0, timings={},
                      history=[rng.standard_normal((n, 2)) for _ in range(3)] if history else [])


class Elements(html.parser.HTMLParser):
    """Every start tag, its attributes, and each script's text, as a browser's parser would split them."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def test_script_json_never_closes_the_script_and_reads_back_the_same():
    value = {"names": HOSTILE, "n": [1, 2.5]}
    text = script_json(value)
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == value


def test_the_hover_map_of_hostile_class_names_holds_no_markup_of_theirs():
    page = hover_map_html(hostile_map(), torch.zeros(3 * len(HOSTILE), 3, 32, 32, dtype=torch.uint8))
    parsed = Elements()
    parsed.feed(page)
    assert [tag for tag, _ in parsed.tags if tag == "script"] == ["script"]  # one script: the map's own
    assert {tag for tag, _ in parsed.tags} <= {"html", "head", "meta", "title", "style", "body", "div", "canvas",
                                              "script", "b", "span", "br", "button", "label", "input", "select"}
    assert not [attrs for _, attrs in parsed.tags if any(name.startswith("on") for name in attrs)]
    script = parsed.scripts[0]
    assert "innerHTML" not in script and "outerHTML" not in script and "insertAdjacentHTML" not in script
    data = json.loads(re.search(r"const EMBEDDED = (\{.*?\});\n", script).group(1))
    assert data["class_names"] == HOSTILE  # shown as typed, through textContent / text nodes
    assert set(data["clusters"]["names"]) <= set(HOSTILE)  # cluster labels: drawn on the canvas, as text
    assert "textContent" in script and "createTextNode" in script


def test_plotly_labels_of_hostile_class_names_are_text():
    figure = map_figure(hostile_map())
    for trace in figure.data:
        assert "<" not in trace.name.replace("&lt;", "")
        assert "<img" not in trace.hovertemplate and "<script" not in trace.hovertemplate
    assert {html_text(n) for n in HOSTILE} == {t.name for t in figure.data}
    animation = animation_figure(hostile_map(history=True))
    assert all("<img" not in (t.name or "") and "<script" not in (t.name or "") for t in animation.data)


@pytest.mark.parametrize("name", HOSTILE)
def test_markdown_text_escapes_every_mark_and_keeps_the_name(name):
    escaped = markdown_text(name)
    assert "\n" not in escaped and "\u2028" not in escaped
    unescaped = re.sub(r"\\(.)", r"\1", escaped)
    assert unescaped == re.sub(r"[\u2028\u2029]+", " ", name)
    # no Markdown construct survives: every punctuation mark is behind a backslash
    assert not re.search(r"(?<!\\)[\[\]()!<>*`#:$_&]", escaped.replace("\\\\", ""))
