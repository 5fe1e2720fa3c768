"""Rich text for templates: clean HTML out of a QTextDocument (the web apps render the
content, so it must not carry Qt's style sheets), and ``[[variable]]`` highlighting."""

from __future__ import annotations

import difflib
import html
import re

from PySide6.QtGui import (
    QFont,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
    QTextListFormat,
)

from desktop.ui import theme
from desktop.variables import Delimiters, variable_pattern

_ORDERED = {
    QTextListFormat.Style.ListDecimal,
    QTextListFormat.Style.ListLowerAlpha,
    QTextListFormat.Style.ListUpperAlpha,
    QTextListFormat.Style.ListLowerRoman,
    QTextListFormat.Style.ListUpperRoman,
}


def _inline(fragment_text: str, fmt: QTextCharFormat) -> str:
    text = html.escape(fragment_text, quote=False).replace("\u2028", "<br>")
    if fmt.fontWeight() >= QFont.Weight.Bold.value:
        text = f"<strong>{text}</strong>"
    if fmt.fontItalic():
        text = f"<em>{text}</em>"
    if fmt.fontUnderline() and not fmt.isAnchor():
        text = f"<u>{text}</u>"
    if fmt.isAnchor() and fmt.anchorHref():
        text = f'<a href="{html.escape(fmt.anchorHref())}">{text}</a>'
    return text


def document_html(document: QTextDocument) -> str:
    """The document as plain semantic HTML: paragraphs, h1-h3, lists, strong, em, u, a."""
    if document.isEmpty():
        return ""
    out: list[str] = []
    open_list: str | None = None
    block = document.begin()
    while block.isValid():
        text_list = block.textList()
        wanted = None
        if text_list is not None:
            wanted = "ol" if text_list.format().style() in _ORDERED else "ul"
        if wanted != open_list:
            if open_list:
                out.append(f"</{open_list}>")
            if wanted:
                out.append(f"<{wanted}>")
            open_list = wanted
        inner = []
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.isValid():
                inner.append(_inline(fragment.text(), fragment.charFormat()))
            iterator += 1
        level = block.blockFormat().headingLevel()
        tag = "li" if wanted else f"h{level}" if 1 <= level <= 6 else "p"
        out.append(f"<{tag}>{''.join(inner)}</{tag}>")
        block = block.next()
    if open_list:
        out.append(f"</{open_list}>")
    return "".join(out)


def normalized_html(content: str) -> str:
    """``content`` as the editor would write it back (for comparing and merging)."""
    document = QTextDocument()
    document.setHtml(content)
    return document_html(document)


class VariableHighlighter(QSyntaxHighlighter):
    """Marks every placeholder (``[[name]]`` by default) in the editor."""

    def __init__(self, document: QTextDocument, delimiters: Delimiters | None = None) -> None:
        super().__init__(document)
        self.pattern = variable_pattern(delimiters or Delimiters())
        self.style = QTextCharFormat()
        self.style.setFontWeight(QFont.Weight.DemiBold)
        self._recolor(rehighlight=False)
        theme.on_change(self._recolor)

    def _recolor(self, rehighlight: bool = True) -> None:
        colors = theme.colors()
        self.style.setBackground(colors.variable_bg)
        self.style.setForeground(colors.variable_fg)
        if rehighlight:
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for match in self.pattern.finditer(text):
            self.setFormat(match.start(), match.end() - match.start(), self.style)


def _words(text: str) -> list[str]:
    return re.findall(r"\n|[^\s]+", text)


def _joined(words: list[str]) -> str:
    return " ".join(html.escape(w) if w != "\n" else "<br>" for w in words).replace(
        " <br> ", "<br>"
    )


def word_diff(before: str, after: str) -> str:
    """Plain text ``after`` as HTML, compared word by word with ``before``: words only in
    ``before`` struck through in red, words only in ``after`` marked in green. Line breaks
    are kept (and never count as changes on their own)."""
    a, b = _words(before), _words(after)
    colors = theme.colors()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        gone, added = _joined(a[i1:i2]), _joined(b[j1:j2])
        if op == "equal":
            out.append(added)
            continue
        if gone.replace("<br>", ""):
            out.append(
                f'<span style="color:{colors.removed};text-decoration:line-through">{gone}</span>'
            )
        if added:
            out.append(f'<span style="background:{colors.added_bg}">{added}</span>')
    return " ".join(out).replace(" <br>", "<br>").replace("<br> ", "<br>")
