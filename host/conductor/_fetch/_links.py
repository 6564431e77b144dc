"""URLs and HTML: Google link rewriting, viewer unwrapping, and finding the one document an
HTML interstitial page links to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

DOCUMENT_EXTENSIONS = (".pdf", ".docx")
VIEWER_PATTERN = re.compile(
    r"ViewFile|MetaViewer\.php|DocumentCenter/View|View\.ashx|/Download(?:[/?.]|$)",
    re.IGNORECASE,
)
"""Vendor document links: CivicPlus ``DocumentCenter/View``, Granicus ``MetaViewer.php``,
``ViewFile`` (PrimeGov, CivicClerk), Legistar ``View.ashx``, ``/Download`` endpoints."""

_GOOGLE_SUFFIXES = ("google.com", "googleusercontent.com")
_DRIVE_FILE = re.compile(r"^/(?:u/\d+/)?file/d/([\w-]{10,})")
_DOCS_FILE = re.compile(r"^/(document|presentation|spreadsheets)/(?:u/\d+/)?d/([\w-]{10,})(/.*)?$")
_DOCS_EXPORT = {"document": "docx", "presentation": "pdf", "spreadsheets": "pdf"}
_VIEWERS = {
    ("docs.google.com", "/viewer"),
    ("docs.google.com", "/gview"),
    ("drive.google.com", "/viewer"),
    ("drive.google.com", "/viewerng/viewer"),
}
_HTML_START = re.compile(
    rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|title|meta|"
    rb"link|script|style|div|table|form|p|a|h[1-6])[\s>/]",
    re.IGNORECASE | re.DOTALL,
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def host_of(url: str) -> str:
    """The lowercased host of ``url`` ('' when it has none)."""
    return (urlsplit(url).hostname or "").lower()


def is_google_host(host: str) -> bool:
    """``google.com``, ``googleusercontent.com`` and their subdomains (not
    ``evilgoogle.com``)."""
    host = host.lower().rstrip(".")
    return any(host == s or host.endswith("." + s) for s in _GOOGLE_SUFFIXES)


def is_google_sign_in(url: str) -> bool:
    """A Google sign-in page: where Google sends requests for files the caller cannot read."""
    return host_of(url) == "accounts.google.com"


def rewrite_url(url: str) -> str:
    """The URL to download for ``url``: viewer wrappers (``docs.google.com/viewer?url=``,
    ``gview?url=``) unwrapped, Drive share links (``/file/d/ID/view``, ``/open?id=ID``)
    made direct downloads, Google Docs editor links made exports (documents as DOCX,
    presentations and spreadsheets as PDF). Every other URL comes back unchanged."""
    for _ in range(4):  # a wrapper may wrap a wrapper; never loop forever
        inner = _unwrap_viewer(url)
        if inner is None:
            break
        url = inner
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    query = parse_qs(parts.query)
    if host == "drive.google.com":
        file_id: str | None = None
        if m := _DRIVE_FILE.match(parts.path):
            file_id = m.group(1)
        elif parts.path in ("/open", "/uc") and "id" in query:
            if parts.path == "/uc" and query.get("export") == ["download"]:
                return url
            file_id = query["id"][0]
        if file_id:
            params = {"export": "download", "id": file_id}
            if "resourcekey" in query:
                params["resourcekey"] = query["resourcekey"][0]
            return "https://drive.google.com/uc?" + urlencode(params)
    if host == "docs.google.com" and (m := _DOCS_FILE.match(parts.path)):
        kind, doc_id, rest = m.group(1), m.group(2), m.group(3) or ""
        if not rest.startswith("/export"):
            return f"https://docs.google.com/{kind}/d/{doc_id}/export?format={_DOCS_EXPORT[kind]}"
    return url


def _unwrap_viewer(url: str) -> str | None:
    parts = urlsplit(url)
    if ((parts.hostname or "").lower(), parts.path.rstrip("/")) not in _VIEWERS:
        return None
    inner = parse_qs(parts.query).get("url")
    if not inner or urlsplit(inner[0]).scheme not in ("http", "https"):
        return None
    return inner[0]


def looks_like_html(head: bytes, content_type: str | None = None) -> bool:
    """Whether a body that is not a PDF or DOCX (check that first) is an HTML page: by its
    first bytes, else by a ``text/html`` or XHTML Content-Type on a body without NULs."""
    text = head
    for bom in _BOMS:
        if text.startswith(bom):
            text = text[len(bom) :]
            break
    if _HTML_START.match(text.lstrip()[:2048]):
        return True
    ctype = (content_type or "").split(";")[0].strip().lower()
    return ctype in ("text/html", "application/xhtml+xml") and b"\x00" not in head


def charset_of(content_type: str | None) -> str:
    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    return m.group(1) if m else "utf-8"


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Page:
    """What an HTML page says about where its document is."""

    title: str | None
    links: list[str]
    """Every http(s) URL from ``a[href]``, ``iframe``/``embed``/``frame[src]``,
    ``object[data]`` and ``meta`` refresh, absolute, without fragments, in page order."""
    forms: list[Form]


class _Parser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base_url
        self.title_parts: list[str] | None = None
        self.title: str | None = None
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None

    def _add(self, raw: str | None) -> None:
        if raw and (url := absolute(self.base, raw)):
            self.links.append(url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "base" and a.get("href"):
            self.base = urljoin(self.base, a["href"].strip())
        elif tag == "a" or tag == "area":
            self._add(a.get("href"))
        elif tag in ("iframe", "embed", "frame"):
            self._add(a.get("src"))
        elif tag == "object":
            self._add(a.get("data"))
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\";]+)", a.get("content", ""), re.IGNORECASE)
            if m:
                self._add(m.group(1))
        elif tag == "title" and self.title is None:
            self.title_parts = []
        elif tag == "form":
            action = absolute(self.base, a.get("action") or "") or self.base
            self._form = Form(action, (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form.fields[a["name"]] = a.get("value", "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title_parts is not None:
            self.title = " ".join("".join(self.title_parts).split()) or None
            self.title_parts = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self.title_parts is not None:
            self.title_parts.append(data)


def absolute(base: str, raw: str) -> str | None:
    """``raw`` resolved against ``base``, without its fragment; None unless http(s)."""
    raw = raw.strip()
    if not raw or raw.startswith("#"):
        return None
    try:
        parts = urlsplit(urljoin(base, raw))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit(parts._replace(fragment=""))


def parse_page(html: str, base_url: str) -> Page:
    parser = _Parser(base_url)
    parser.feed(html)
    parser.close()
    title = parser.title
    if title is None and parser.title_parts:  # unclosed <title>
        title = " ".join("".join(parser.title_parts).split())[:200] or None
    return Page(title, parser.links, parser.forms)


def is_document_link(url: str) -> bool:
    """A link that names a document: ``.pdf``/``.docx`` path, a vendor viewer, or a Google
    file (Drive share link, Docs editor link)."""
    parts = urlsplit(url)
    if parts.path.lower().endswith(DOCUMENT_EXTENSIONS):
        return True
    if VIEWER_PATTERN.search(parts.path) or VIEWER_PATTERN.search(parts.query):
        return True
    return rewrite_url(url) != url


def document_links(page: Page) -> list[str]:
    """The distinct document links of ``page``, in page order."""
    return list(dict.fromkeys(u for u in page.links if is_document_link(u)))


def drive_confirm_url(page: Page) -> str | None:
    """The "download anyway" target of Google Drive's large-file (virus scan) warning: its
    GET form (``drive.usercontent.google.com/download`` with ``id``, ``confirm``, ``uuid``)
    or, on older pages, a ``/uc?...confirm=...`` link."""
    for form in page.forms:
        if (
            form.method == "get"
            and is_google_host(host_of(form.action))
            and "id" in form.fields
            and ("confirm" in form.fields or "uuid" in form.fields)
        ):
            base = urlunsplit(urlsplit(form.action)._replace(query="", fragment=""))
            return base + "?" + urlencode(form.fields)
    for link in page.links:
        parts = urlsplit(link)
        if (
            is_google_host(parts.hostname or "")
            and parts.path.rstrip("/").endswith(("/uc", "/download"))
            and "confirm" in parse_qs(parts.query)
        ):
            return link
    return None


__all__ = [
    "DOCUMENT_EXTENSIONS",
    "VIEWER_PATTERN",
    "Form",
    "Page",
    "absolute",
    "charset_of",
    "document_links",
    "drive_confirm_url",
    "host_of",
    "is_document_link",
    "is_google_host",
    "is_google_sign_in",
    "looks_like_html",
    "parse_page",
    "rewrite_url",
]
