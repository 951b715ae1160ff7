"""Text a user named (class folders, dataset paths, file names, run names, student names) put where a browser
reads markup: every such string goes through one of these, never straight into HTML, a script or Markdown.

- :func:`script_json`: a value as JSON inside ``<script>``. ``json.dumps`` alone is not enough: a class named
  ``</script><script>…`` ends the script element early, whatever the JSON quoting, and U+2028/U+2029 end a
  JavaScript line in older engines. Both are written as ``\\u`` escapes, which JSON.parse and JavaScript read
  back as the same characters.
- :func:`html_text`: text for an HTML element or attribute (and for Plotly labels, which read a few tags).
- :func:`markdown_text`: text for Streamlit Markdown (``st.markdown``, captions, headers, alerts): every ASCII
  punctuation mark backslash-escaped, so a name shows as typed instead of as a link, an image, a colour
  directive (``:red[…]``), LaTeX or emphasis.

Script code that shows such text sets ``textContent``, never ``innerHTML``.
"""

from __future__ import annotations

import html
import json
import re

_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&^=\"'%@;?,/])")


def script_json(value) -> str:
    """``value`` as JSON that is safe inside an HTML ``<script>`` element: no ``<``, ``>`` or ``&`` (so no
    ``</script>`` or ``<!--``) and no line or paragraph separator appears in it literally."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_UNSAFE[m.group()], text)


def html_text(value) -> str:
    """``value`` as text for HTML (``<``, ``>``, ``&`` and both quotes escaped)."""
    return html.escape(str(value), quote=True)


def markdown_text(value) -> str:
    """``value`` as literal text in Markdown: punctuation backslash-escaped, line breaks as spaces (a name never
    starts a heading, a list or a block of its own)."""
    flat = re.sub(r"[\r\n\u2028\u2029]+", " ", str(value))
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", flat)
