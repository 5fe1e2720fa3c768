"""The HTML a template, snippet or version may hold when it is written on this device.

The web apps render ``content`` as HTML, so whatever this device stores (and later sends)
is reduced first to the semantic subset the editor writes: ``p``, ``h1``-``h3``, ``ul``,
``ol``, ``li``, ``strong``, ``em``, ``u``, ``br`` and ``a`` with an ``href`` whose scheme is
http, https or mailto. Everything else goes: other tags are dropped and their text kept,
``script`` and ``style`` with their content, every other attribute (``onerror``, ``style``,
...), comments, and links to other schemes or without one (``javascript:``, ``data:``,
relative links). The sanitiser is an allow-list one (``nh3``, the Python binding of the Rust
crate ammonia, which parses as browsers do); no regular expressions.

What the server holds is kept as it is (a pull stores it unchanged); this applies to what is
written here: the editor, paste, the CLI, imports.
"""

from __future__ import annotations

import nh3

TAGS = frozenset({"p", "h1", "h2", "h3", "ul", "ol", "li", "strong", "em", "u", "a", "br"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: The records whose ``content`` is HTML.
HTML_ENTITIES = frozenset({"template", "snippet", "version"})

_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags={"script", "style"},
    attributes={"a": {"href"}, "*": set()},
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    link_rel=None,
    strip_comments=True,
)


def sanitize(content: str) -> str:
    """``content`` reduced to the subset. The editor's own output comes back unchanged."""
    if not content:
        return content
    # ammonia spells a no-break space as an entity; the editor writes the character itself.
    return _CLEANER.clean(content).replace("&nbsp;", "\u00a0")
