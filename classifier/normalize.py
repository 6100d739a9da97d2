"""Text normalisation shared by intake and the classifier, so training and production agree.

html_to_text: readable text from HTML (scripts and styles dropped, links kept as text).
new_text: the part of a mail its sender wrote now: quoted history and signatures removed.
model_text: what the classifier reads: subject + new text, whitespace folded, bounded in size.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Bounded input keeps classification time and memory flat for 1 MB one-line bodies.
MAX_MODEL_CHARS = 6000

_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "address",
})
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template", "svg"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.quote_depth = 0
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag == "blockquote":
            self.quote_depth += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "a":
            self.href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self.skip_depth:
            self.skip_depth -= 1
        elif tag == "blockquote" and self.quote_depth:
            self.quote_depth -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "a" and self.href:
            if self.href.startswith(("http://", "https://", "mailto:")):
                self.parts.append(f" <{self.href}>")
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.quote_depth:
            # Quoted history inside <blockquote>: mark it like plain-text quoting.
            data = "\n".join("> " + line for line in data.splitlines())
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body; never raises on broken markup."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError):  # pragma: no cover - HTMLParser is lenient
        return html.unescape(re.sub(r"<[^>]+>", " ", markup))
    text = "".join(parser.parts).replace("\xa0", " ")
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# A line that opens quoted history, in the four languages we serve and the common clients.
_ATTRIBUTION = re.compile(
    r"""^\s*(
        on\b.{0,200}\bwrote:\s*$ |
        op\b.{0,200}\bschreef.{0,80}:\s*$ |
        am\b.{0,200}\bschrieb.{0,80}:\s*$ |
        le\b.{0,200}\ba\ écrit\s*:\s*$ |
        .{0,200}\b(wrote|schreef|schrieb|a\ écrit)\s*:\s*$ |
        -{2,}\s*(original\ message|oorspronkelijk\ bericht|ursprüngliche\ nachricht|
                 message\ d'origine|message\ original)\s*-{2,} |
        _{10,}\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Outlook's header block: "From: x" followed within two lines by "Sent:/Date:".
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|van|von|de)\s*\*?\s*:", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(sent|date|verzonden|datum|gesendet|envoyé|to|aan|an|à|cc)\s*\*?\s*:", re.IGNORECASE)
_FORWARD = re.compile(
    r"^\s*(-{3,}\s*(forwarded message|doorgestuurd bericht|weitergeleitete nachricht|"
    r"message transféré)|(begin forwarded message|begin doorgestuurd bericht|"
    r"anfang der weitergeleiteten nachricht|début du message réexpédié)\s*:)", re.IGNORECASE)
# A forward's subject prefix in the clients our writers use (Outlook's WG:/TR:/Doorst:).
_FORWARD_SUBJECT = re.compile(r"(?i)^\s*(fwd?|wg|tr|doorst)\s*:")
_SIGNATURE = re.compile(
    r"^(-- ?|sent from my \w+.*|verzonden vanaf mijn \w+.*|von meinem \w+ gesendet.*|"
    r"envoyé de mon \w+.*|get outlook for \w+.*)$", re.IGNORECASE)


def new_text(body: str, subject: str = "") -> str:
    """The sender's own new words: cut at quoted history or a signature, drop '>' lines.

    A forwarded message is kept, since staff forward requests to the mailbox. Outlook and
    Apple Mail open a forward with the same header block or attribution line as a reply, so
    under a forward's subject ("FW:", "WG:", "TR:") the first such block opens the forward.
    """
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    forwarded = False
    forward_subject = bool(_FORWARD_SUBJECT.match(subject))
    for index, line in enumerate(lines):
        if _FORWARD.match(line):
            forwarded = True
            kept.append(line)
            continue
        if not forwarded and _is_history_start(lines, index):
            if not forward_subject:
                break
            forwarded = True
        if _SIGNATURE.match(line.strip()) and kept and not (forwarded or forward_subject):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    text = "\n".join(kept).strip()
    # A mail that is nothing but quoted text is rare but real; keep the quote then.
    return text if text else _unquote(body).strip()


def _is_history_start(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _ATTRIBUTION.match(line):
        return True
    if _OUTLOOK_FROM.match(line):
        following = lines[index + 1:index + 4]
        return any(_OUTLOOK_NEXT.match(n) for n in following)
    return False


def _unquote(body: str) -> str:
    return "\n".join(line.lstrip("> ") for line in body.splitlines())


_REPLY = re.compile(r"(?i)^\s*(re|aw|antw|sv|réf|ref)\s*:")


def model_text(subject: str, body: str) -> str:
    """Subject and new text as one bounded string, the only input the classifier sees."""
    body_text = new_text(body, subject)
    subject = subject.strip()
    # A reply's subject is the old thread's, often a request we already answered ("Re: Your
    # data has been deleted"); when the reply has new text of its own, even "super, danke",
    # that text decides (round 6: fewer false requests out of fold, no more dropped ones).
    if _REPLY.match(subject) and body_text.split():
        subject = ""
    text = f"{subject}\n\n{body_text}".strip()
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text)
    return text[:MAX_MODEL_CHARS]
