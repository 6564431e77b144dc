"""Hostile DOCX files: zip bombs and lying headers, huge and deeply nested XML, DTDs
(billion laughs, external entities), missing or looping parts, broken ZIP structure.

Packages are written with ``_adversarial.write_zip`` so headers can lie; the parts
reuse ``conftest``'s content types and relationships.
"""

from __future__ import annotations

import functools
import random
import struct
from collections.abc import Callable, Iterator, Mapping

from _adversarial import (
    Case,
    GiB,
    MiB,
    ZipEntry,
    case,
    mutation_cases,
    write_zip,
    zip_bomb_member,
    zip_member,
)
from conftest import _CONTENT_TYPES, _RELS, _W, MINIMAL_DOCX, build_docx

MARK = "Adversarial marker paragraph"
DEEP = 100_000
PASSWD = "root:x:0:0"
"""A line of the host's /etc/passwd: no extraction may ever contain it."""

HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'
TAIL = "</w:body></w:document>"


def para(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def document(body: str, *, head: str = HEAD) -> bytes:
    return (head + body + TAIL).encode()


def doc_rels(*rels: tuple[str, str]) -> bytes:
    """``word/_rels/document.xml.rels`` with ``(type suffix, target)`` relationships."""
    items = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/{kind}" Target="{target}"/>'
        for i, (kind, target) in enumerate(rels, start=10)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
        f'"http://schemas.openxmlformats.org/package/2006/relationships">{items}</Relationships>'
    ).encode()


def docx_case(
    category: str, name: str, make: Callable[[], bytes], expect: frozenset[str] | None = None
) -> Case:
    """A DOCX case: one expected to succeed must keep the marker paragraph; none may ever
    show the host's ``/etc/passwd``; known plugin bugs are attached by name."""
    return case(
        category,
        name,
        "docx",
        make,
        expect=expect,
        contains=MARK if expect == frozenset({"ok"}) else None,
        forbids=PASSWD,
        known_bug=KNOWN_BUGS.get(name),
    )


def package(
    main: bytes | ZipEntry | None,
    parts: Mapping[str, bytes | ZipEntry] | None = None,
    *,
    content_types: bool = True,
    rels: bytes | None = _RELS.encode(),
) -> bytes:
    """A DOCX: content types, package rels, ``word/document.xml`` (``main``) and ``parts``."""
    entries: list[ZipEntry] = []
    if content_types:
        entries.append(zip_member("[Content_Types].xml", _CONTENT_TYPES.encode()))
    if rels is not None:
        entries.append(zip_member("_rels/.rels", rels))
    if main is not None:
        entries.append(
            main if isinstance(main, ZipEntry) else zip_member("word/document.xml", main)
        )
    for name, data in (parts or {}).items():
        entries.append(data if isinstance(data, ZipEntry) else zip_member(name, data))
    return write_zip(entries)


def main_rel_to(target: str) -> bytes:
    """A valid package whose package relationship names ``target`` as the main part."""
    rels = _RELS.replace("word/document.xml", target)
    return package(document(para(MARK)), rels=rels.encode())


def plain(body: str = para(MARK), **kw: object) -> bytes:
    return package(document(body), **kw)  # type: ignore[arg-type]


def _bomb(name: str, unit: str, total: int, *, wrap: tuple[str, str] | None = None) -> ZipEntry:
    prefix, suffix = wrap or (HEAD, TAIL)
    return zip_bomb_member(name, prefix.encode(), unit.encode(), total, suffix.encode())


def _lying(entry: ZipEntry, declared: int) -> ZipEntry:
    return ZipEntry(
        entry.name, entry.data, entry.crc32, entry.size, entry.method, entry.flags, declared
    )


def _noisy(name: str, total: int, wrap: tuple[str, str] | None = None) -> ZipEntry:
    """A part of about ``total`` bytes compressing ~250:1, under the plugin's 1000:1 bomb
    ratio: each MiB holds 3 KiB of seeded random letters."""
    rng = random.Random(5)
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(3072))
    return _bomb(name, para(noise) + para("x" * 1000) * 1000, total, wrap=wrap)


KNOWN_BUGS: dict[str, str] = {}
# Fixed: "styles-rel-to-document" (a styles relationship aimed at word/document.xml made
# docx-rs's styles reader loop; the plugin now checks a part's root element first).
"""Plugin bugs found by this suite, by case name (see ``Case.known_bug``)."""

STYLES_HEAD = f'<?xml version="1.0"?><w:styles xmlns:w="{_W}">'
NUMBERING_HEAD = f'<?xml version="1.0"?><w:numbering xmlns:w="{_W}">'


def _part_bomb(part: str, unit: str, wrap: tuple[str, str]) -> bytes:
    return plain(parts={part: _bomb(part, unit, GiB, wrap=wrap)})


PART_BOMBS = [
    ("word/styles.xml", '<w:style w:styleId="a"/>', (STYLES_HEAD, "</w:styles>")),
    ("word/numbering.xml", "<w:num/>", (NUMBERING_HEAD, "</w:numbering>")),
    ("word/_rels/document.xml.rels", " ", ("<Relationships>", "</Relationships>")),
]
"""Parts besides the main document the plugin reads, each made a 1 GiB bomb."""


def _zip_bomb_cases() -> Iterator[Case]:
    cat = "zip-bomb"
    p = para("lol")
    items: list[tuple[str, Callable[[], bytes], frozenset[str] | None]] = [
        (
            "document-1GiB-paragraphs",
            lambda: package(_bomb("word/document.xml", p, GiB)),
            frozenset({"too_large"}),
        ),
        (
            "document-1GiB-one-text",
            lambda: package(
                _bomb(
                    "word/document.xml",
                    " ",
                    GiB,
                    wrap=(HEAD + "<w:p><w:r><w:t>", "</w:t></w:r></w:p>" + TAIL),
                )
            ),
            frozenset({"too_large"}),
        ),
        (
            "document-declares-1KiB-inflates-256MiB",
            lambda: package(_lying(_bomb("word/document.xml", p, 256 * MiB), 1024)),
            frozenset({"corrupt", "ok"}),
        ),
        (
            "document-declares-0",
            lambda: package(_lying(_bomb("word/document.xml", p, 64 * MiB), 0)),
            None,
        ),
        (
            "document-declares-4GiB",
            lambda: package(
                _lying(zip_member("word/document.xml", document(para(MARK))), 0xFFFFFFFF)
            ),
            frozenset({"too_large"}),
        ),
        (
            "document-120MiB-below-ratio",
            lambda: package(_noisy("word/document.xml", 120 * MiB)),
            None,
        ),
        (
            "footnotes-1GiB",
            lambda: plain(
                para(MARK) + '<w:p><w:r><w:footnoteReference w:id="1"/></w:r></w:p>',
                parts={
                    "word/footnotes.xml": _bomb(
                        "word/footnotes.xml",
                        "<w:footnote/>",
                        GiB,
                        wrap=(f'<w:footnotes xmlns:w="{_W}">', "</w:footnotes>"),
                    )
                },
            ),
            frozenset({"too_large"}),
        ),
        (
            "package-rels-1GiB",
            lambda: package(
                document(para(MARK)),
                rels=None,
                parts={
                    "_rels/.rels": _bomb(
                        "_rels/.rels", " ", GiB, wrap=("<Relationships>", "</Relationships>")
                    )
                },
            ),
            frozenset({"too_large"}),
        ),
        (
            "media-1GiB-unread",
            lambda: _part_bomb("word/media/image1.png", "\0", ("", "")),
            frozenset({"ok"}),
        ),
        (
            "three-parts-100MiB-each-below-ratio",
            lambda: package(
                _noisy("word/document.xml", 100 * MiB),
                {
                    "word/styles.xml": _noisy(
                        "word/styles.xml", 100 * MiB, (STYLES_HEAD, "</w:styles>")
                    ),
                    "word/numbering.xml": _noisy(
                        "word/numbering.xml", 100 * MiB, (NUMBERING_HEAD, "</w:numbering>")
                    ),
                },
            ),
            None,
        ),
    ]
    for name, make, expect in items:
        yield docx_case(cat, name, make, expect)
    for part, unit, wrap in PART_BOMBS:
        name = part.rsplit("/", 1)[1].removesuffix(".xml") + "-1GiB"
        make = functools.partial(_part_bomb, part, unit, wrap)
        yield docx_case(cat, name, make, frozenset({"too_large"}))


def _huge_xml_cases() -> Iterator[Case]:
    cat = "huge-xml"
    rng = random.Random(6)
    letters = "".join(rng.choice("abcdefghij") for _ in range(MiB - 100))
    items: list[tuple[str, Callable[[], bytes], frozenset[str] | None]] = [
        (
            "paragraphs-100k-numbered",
            lambda: plain(
                para(MARK) + "".join(para(f"paragraph {i} of the record") for i in range(100_000))
            ),
            frozenset({"ok"}),
        ),
        (
            "page-breaks-20k",
            lambda: plain('<w:p><w:r><w:br w:type="page"/><w:t>p</w:t></w:r></w:p>' * 20_000),
            frozenset({"too_large"}),
        ),
        ("one-text-1MiB", lambda: plain(para(MARK) + para(letters)), frozenset({"ok"})),
        (
            "runs-200k-one-paragraph",
            lambda: plain(para(MARK) + "<w:p>" + "<w:r><w:t>ab </w:t></w:r>" * 200_000 + "</w:p>"),
            frozenset({"ok"}),
        ),
        (
            "attribute-1MiB",
            lambda: plain(f'<w:p w:rsidR="{letters}"><w:r><w:t>{MARK}</w:t></w:r></w:p>'),
            None,
        ),
        (
            "attributes-100k",
            lambda: plain(
                "<w:p "
                + " ".join(f'a{i}="{i}"' for i in range(100_000))
                + f"><w:r><w:t>{MARK}</w:t></w:r></w:p>"
            ),
            None,
        ),
        ("element-name-1MiB", lambda: plain(f"<w:{letters}/>" + para(MARK)), None),
        (
            "namespaces-50k",
            lambda: plain(
                "<w:p "
                + " ".join(f'xmlns:n{i}="urn:{i}"' for i in range(50_000))
                + f"><w:r><w:t>{MARK}</w:t></w:r></w:p>"
            ),
            None,
        ),
        ("comments-100k", lambda: plain("<!-- c -->" * 100_000 + para(MARK)), frozenset({"ok"})),
        (
            "processing-instructions-100k",
            lambda: plain("<?pi x?>" * 100_000 + para(MARK)),
            frozenset({"ok"}),
        ),
        (
            "cdata-1MiB",
            lambda: plain(f"<w:p><w:r><w:t><![CDATA[{letters}]]></w:t></w:r></w:p>"),
            None,
        ),
        (
            "char-refs-500k",
            lambda: plain("<w:p><w:r><w:t>" + "&#65;" * 500_000 + "</w:t></w:r></w:p>"),
            None,
        ),
        (
            "bad-char-refs",
            lambda: plain(
                "<w:p><w:r><w:t>&#0;&#x110000;&#xD800;&#99999999999;</w:t></w:r></w:p>" + para(MARK)
            ),
            None,
        ),
        (
            "tabs-and-breaks-500k",
            lambda: plain("<w:p><w:r>" + "<w:tab/><w:br/>" * 250_000 + "</w:r></w:p>"),
            None,
        ),
    ]
    for name, make, expect in items:
        yield docx_case(cat, name, make, expect)


def _entity_cases() -> Iterator[Case]:
    cat = "xml-entities"
    lol = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    laughs = f'<?xml version="1.0"?><!DOCTYPE w:document [{lol}]>'
    big = "x" * 100_000
    quadratic = f'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY big "{big}">]>'
    xxe = '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    param = (
        '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY % p SYSTEM "file:///etc/passwd">'
        "<!ENTITY % q \"<!ENTITY leak '%p;'>\">%q;]>"
    )
    body_head = f'<w:document xmlns:w="{_W}"><w:body>'
    dtd_styles = (
        f'<?xml version="1.0"?><!DOCTYPE w:styles [{lol}]><w:styles xmlns:w="{_W}">'
        '<w:style w:styleId="x"><w:name w:val="&lol9;"/></w:style></w:styles>'
    )
    unsupported = frozenset({"unsupported_format"})
    items: list[tuple[str, Callable[[], bytes], frozenset[str] | None]] = [
        (
            "billion-laughs-document",
            lambda: package(document(para("&lol9;"), head=laughs + body_head)),
            unsupported,
        ),
        (
            "quadratic-blowup-document",
            lambda: package(document(para("&big;" * 10_000), head=quadratic + body_head)),
            unsupported,
        ),
        (
            "external-entity-document",
            lambda: package(document(para("&xxe;"), head=xxe + body_head)),
            unsupported,
        ),
        (
            "parameter-entity-document",
            lambda: package(document(para("&leak;"), head=param + body_head)),
            unsupported,
        ),
        (
            "billion-laughs-styles",
            lambda: plain(parts={"word/styles.xml": dtd_styles.encode()}),
            frozenset({"ok"}),
        ),
        (
            "billion-laughs-numbering",
            lambda: plain(
                parts={"word/numbering.xml": dtd_styles.replace("w:styles", "w:numbering").encode()}
            ),
            frozenset({"ok"}),
        ),
        (
            "billion-laughs-footnotes",
            lambda: plain(
                para(MARK) + '<w:p><w:r><w:footnoteReference w:id="1"/></w:r></w:p>',
                parts={
                    "word/footnotes.xml": dtd_styles.replace("w:styles", "w:footnotes").encode()
                },
            ),
            frozenset({"ok"}),
        ),
        (
            "billion-laughs-rels",
            lambda: package(
                document(para(MARK)),
                rels=(laughs + "<Relationships>&lol9;</Relationships>").encode(),
            ),
            frozenset({"ok"}),
        ),
        (
            "external-entity-rels",
            lambda: package(
                document(para(MARK)), rels=(xxe + "<Relationships>&xxe;</Relationships>").encode()
            ),
            frozenset({"ok"}),
        ),
        ("undefined-entity", lambda: plain(para("&nope;") + para(MARK)), None),
    ]
    for name, make, expect in items:
        yield docx_case(cat, name, make, expect)


def _deep_cases() -> Iterator[Case]:
    cat = "deep-xml"

    def wrap(open_: str, close: str, n: int = DEEP, inner: str = para(MARK)) -> bytes:
        return plain(open_ * n + inner + close * n)

    textbox = (
        '<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml">'
        "<v:textbox><w:txbxContent>"
    )
    textbox_end = "</w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>"
    items: list[tuple[str, Callable[[], bytes]]] = [
        ("sdt-100k", lambda: wrap("<w:sdt><w:sdtContent>", "</w:sdtContent></w:sdt>")),
        ("tables-10k", lambda: wrap("<w:tbl><w:tr><w:tc>", "</w:tc></w:tr></w:tbl>", 10_000)),
        ("unknown-elements-100k", lambda: wrap('<x:a xmlns:x="urn:x">', "</x:a>")),
        (
            "hyperlinks-100k",
            lambda: plain(
                "<w:p>"
                + "<w:hyperlink>" * DEEP
                + f"<w:r><w:t>{MARK}</w:t></w:r>"
                + "</w:hyperlink>" * DEEP
                + "</w:p>"
            ),
        ),
        (
            "insertions-100k",
            lambda: plain(
                "<w:p>"
                + "<w:ins>" * DEEP
                + f"<w:r><w:t>{MARK}</w:t></w:r>"
                + "</w:ins>" * DEEP
                + "</w:p>"
            ),
        ),
        (
            "smart-tags-100k",
            lambda: plain(
                "<w:p>"
                + "<w:smartTag>" * DEEP
                + f"<w:r><w:t>{MARK}</w:t></w:r>"
                + "</w:smartTag>" * DEEP
                + "</w:p>"
            ),
        ),
        ("text-boxes-1000", lambda: wrap(textbox, textbox_end, 1000)),
        (
            "alternate-content-10k",
            lambda: wrap(
                '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Fallback>',
                "</mc:Fallback></mc:AlternateContent>",
                10_000,
            ),
        ),
        (
            "unclosed-200k",
            lambda: package(document("<w:sdt><w:sdtContent>" * 200_000 + para(MARK))[: -len(TAIL)]),
        ),
        (
            "siblings-after-deep",
            lambda: plain(
                "<w:sdt><w:sdtContent>" * 300
                + para("deep")
                + "</w:sdtContent></w:sdt>" * 300
                + para(MARK)
            ),
        ),
    ]
    for name, make in items:
        yield docx_case(cat, name, make)


def styles_part(*styles: str) -> bytes:
    return (STYLES_HEAD + "".join(styles) + "</w:styles>").encode()


def style(sid: str, based_on: str | None = None, extra: str = "") -> str:
    base = f'<w:basedOn w:val="{based_on}"/>' if based_on else ""
    return (
        f'<w:style w:type="paragraph" w:styleId="{sid}"><w:name w:val="{sid}"/>'
        f"{base}{extra}</w:style>"
    )


def numbered(body_num: str, numbering: str) -> bytes:
    p = (
        f'<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{body_num}"/></w:numPr>'
        f"</w:pPr><w:r><w:t>{MARK}</w:t></w:r></w:p>"
    )
    return plain(
        p, parts={"word/numbering.xml": (NUMBERING_HEAD + numbering + "</w:numbering>").encode()}
    )


def _missing_cases() -> Iterator[Case]:
    cat = "missing-parts"
    styled = f'<w:p><w:pPr><w:pStyle w:val="A"/></w:pPr><w:r><w:t>{MARK}</w:t></w:r></w:p>'
    ok = frozenset({"ok"})
    corrupt = frozenset({"corrupt"})
    items: list[tuple[str, Callable[[], bytes], frozenset[str] | None]] = [
        ("no-document-part", lambda: package(None), corrupt),
        ("no-content-types", lambda: plain(content_types=False), ok),
        ("no-package-rels", lambda: plain(rels=None), ok),
        ("empty-zip", lambda: write_zip([]), corrupt),
        ("only-content-types", lambda: package(None, rels=None), corrupt),
        ("document-empty", lambda: package(b""), None),
        ("document-binary", lambda: package(random.Random(7).randbytes(4096)), None),
        (
            "document-other-root",
            lambda: package(b'<?xml version="1.0"?><root><p>text</p></root>'),
            None,
        ),
        (
            "document-utf16-bom",
            lambda: package(
                b"\xff\xfe"
                + (HEAD + para(MARK) + TAIL).replace("UTF-8", "UTF-16").encode("utf-16-le")
            ),
            None,
        ),
        (
            "document-invalid-utf8",
            lambda: package(
                document(para("bad XX bytes") + para(MARK)).replace(b"XX", b"\xff\xfe")
            ),
            None,
        ),
        (
            "main-rel-to-missing",
            lambda: main_rel_to("word/nothing.xml"),
            ok,
        ),
        (
            "main-rel-traversal",
            lambda: main_rel_to("../../../../etc/passwd"),
            ok,
        ),
        (
            "main-rel-absolute",
            lambda: main_rel_to("/etc/passwd"),
            ok,
        ),
        (
            "main-rel-to-rels",
            lambda: main_rel_to("_rels/.rels"),
            None,
        ),
        (
            "styles-rel-to-document",
            lambda: plain(
                parts={"word/_rels/document.xml.rels": doc_rels(("styles", "document.xml"))}
            ),
            ok,
        ),
        (
            "styles-rel-external-file",
            lambda: plain(
                parts={"word/_rels/document.xml.rels": doc_rels(("styles", "file:///etc/passwd"))}
            ),
            ok,
        ),
        (
            "styles-basedon-cycle",
            lambda: plain(
                styled, parts={"word/styles.xml": styles_part(style("A", "B"), style("B", "A"))}
            ),
            ok,
        ),
        (
            "styles-basedon-self",
            lambda: plain(styled, parts={"word/styles.xml": styles_part(style("A", "A"))}),
            ok,
        ),
        (
            "styles-chain-10k",
            lambda: plain(
                styled,
                parts={
                    "word/styles.xml": styles_part(
                        *(style("A" if i == 0 else f"S{i}", f"S{i + 1}") for i in range(10_000))
                    )
                },
            ),
            ok,
        ),
        (
            "numbering-abstract-missing",
            lambda: numbered("1", '<w:num w:numId="1"><w:abstractNumId w:val="99"/></w:num>'),
            ok,
        ),
        (
            "numbering-style-link-cycle",
            lambda: numbered(
                "1",
                '<w:abstractNum w:abstractNumId="0"><w:numStyleLink w:val="L"/></w:abstractNum>'
                '<w:abstractNum w:abstractNumId="1"><w:styleLink w:val="L"/>'
                '<w:numStyleLink w:val="L"/></w:abstractNum>'
                '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>',
            ),
            ok,
        ),
        (
            "numbering-huge-ids",
            lambda: numbered(
                "18446744073709551615",
                '<w:abstractNum w:abstractNumId="-1"><w:lvl w:ilvl="4294967295">'
                '<w:start w:val="-99999999999"/><w:numFmt w:val="decimal"/>'
                '<w:lvlText w:val="%1%2%3%4%5%6%7%8%9%10"/></w:lvl></w:abstractNum>'
                '<w:num w:numId="18446744073709551615"><w:abstractNumId w:val="-1"/></w:num>',
            ),
            ok,
        ),
        (
            "footnote-ref-no-part",
            lambda: plain(para(MARK) + '<w:p><w:r><w:footnoteReference w:id="1"/></w:r></w:p>'),
            ok,
        ),
        (
            "footnote-ref-huge-id",
            lambda: plain(
                para(MARK)
                + '<w:p><w:r><w:footnoteReference w:id="99999999999999999999"/></w:r></w:p>'
            ),
            ok,
        ),
        (
            "footnote-refs-100k",
            lambda: plain(
                '<w:p><w:r><w:footnoteReference w:id="1"/></w:r></w:p>' * 100_000,
                parts={
                    "word/footnotes.xml": (
                        f'<w:footnotes xmlns:w="{_W}"><w:footnote w:id="1">'
                        f"{para('note ' * 1000)}</w:footnote></w:footnotes>"
                    ).encode()
                },
            ),
            None,
        ),
        ("document-is-a-directory", lambda: package(None, {"word/document.xml/": b""}), None),
        (
            "document-twice",
            lambda: package(document(para(MARK)), {"word/document.xml": document(para("second"))}),
            None,
        ),
        (
            "upper-case-names",
            lambda: write_zip(
                [
                    zip_member("[CONTENT_TYPES].XML", _CONTENT_TYPES.encode()),
                    zip_member("WORD/DOCUMENT.XML", document(para(MARK))),
                ]
            ),
            ok,
        ),
    ]
    for name, make, expect in items:
        yield docx_case(cat, name, make, expect)


def _patch_eocd(data: bytes, fmt: str, offset: int, value: int) -> bytes:
    i = data.rindex(b"PK\x05\x06") + offset
    return data[:i] + struct.pack(fmt, value) + data[i + struct.calcsize(fmt) :]


def _ole(marker: bool) -> bytes:
    head = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    body = "EncryptionInfo".encode("utf-16-le") if marker else b"WordDocument"
    return head + body + bytes(1024)


def _zip_structure_cases() -> Iterator[Case]:
    cat = "zip-structure"
    doc = document(para(MARK))

    def member(**kw: object) -> bytes:
        m = zip_member("word/document.xml", doc)
        fields = {
            "name": m.name,
            "data": m.data,
            "crc32": m.crc32,
            "size": m.size,
            "method": m.method,
        }
        fields.update(kw)
        return package(ZipEntry(**fields))  # type: ignore[arg-type]

    base = plain
    items: list[tuple[str, Callable[[], bytes], frozenset[str] | None]] = [
        ("encrypted-entry", lambda: member(flags=1), frozenset({"encrypted", "corrupt"})),
        ("method-aes-99", lambda: member(method=99), frozenset({"corrupt", "unsupported_format"})),
        ("method-lzma-14", lambda: member(method=14), frozenset({"corrupt", "unsupported_format"})),
        (
            "method-bzip2-12",
            lambda: member(method=12),
            frozenset({"corrupt", "unsupported_format"}),
        ),
        ("crc-mismatch", lambda: member(crc32=0xDEADBEEF), None),
        (
            "stored-size-lie",
            lambda: package(ZipEntry("word/document.xml", doc, 0, len(doc) * 50, 0)),
            None,
        ),
        (
            "entries-20k",
            lambda: package(
                document(para(MARK)), {f"word/media/f{i}.bin": b"" for i in range(20_000)}
            ),
            frozenset({"ok"}),
        ),
        (
            "name-64KiB",
            lambda: package(document(para(MARK)), {"x" * 65_000: b"x"}),
            frozenset({"ok"}),
        ),
        ("comment-64KiB", lambda: base()[:-2] + struct.pack("<H", 65_000) + b"c" * 65_000, None),
        (
            "central-dir-offset-beyond-eof",
            lambda: _patch_eocd(base(), "<I", 16, 0x7FFFFFFF),
            frozenset({"corrupt"}),
        ),
        (
            "central-dir-count-65535",
            lambda: _patch_eocd(_patch_eocd(base(), "<H", 8, 65_535), "<H", 10, 65_535),
            frozenset({"corrupt"}),
        ),
        ("central-dir-size-huge", lambda: _patch_eocd(base(), "<I", 12, 0x7FFFFFFF), None),
        ("data-truncated", lambda: base()[:40] + base()[-200:], None),
        ("ole-encrypted", lambda: _ole(True), frozenset({"encrypted"})),
        ("ole-doc", lambda: _ole(False), frozenset({"unsupported_format"})),
        (
            "not-a-zip",
            lambda: b"PK\x03\x04" + random.Random(8).randbytes(2000),
            frozenset({"corrupt"}),
        ),
    ]
    for name, make, expect in items:
        yield docx_case(cat, name, make, expect)


SEEDS: dict[str, Callable[[], bytes]] = {
    "generated:minimal.docx": lambda: build_docx(MINIMAL_DOCX),
    "generated:pages.docx": lambda: build_docx(
        [(None, f"Item {i}: the council considers resolution {i}.", i % 3 == 0) for i in range(30)]
    ),
}


def cases() -> list[Case]:
    """Every generated DOCX case."""
    out = [
        *_zip_bomb_cases(),
        *_huge_xml_cases(),
        *_entity_cases(),
        *_deep_cases(),
        *_missing_cases(),
        *_zip_structure_cases(),
    ]
    for label, make in SEEDS.items():
        out.extend(mutation_cases("docx", label, make, len(make())))
    return out
