"""Hostile HTML: pathological nesting (deep, unclosed, misnested, foreign content), huge
and numerous attributes, huge text, comments and scripts, broken encodings."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from _adversarial import Case, MiB, case, mutation_cases

MARK = "Adversarial marker sentence"
DEEP = 100_000


def page(body: str, *, head: str = "<title>Agenda</title>") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def _nesting_cases() -> Iterator[Case]:
    cat = "pathological-nesting"
    end = f"<p>{MARK}</p>"

    def nest(open_: str, close: str, n: int = DEEP) -> Callable[[], bytes]:
        return lambda: page(open_ * n + "deep" + close * n + end)

    def unclosed(open_: str, n: int = DEEP) -> Callable[[], bytes]:
        return lambda: page(open_ * n + end)

    items: list[tuple[str, Callable[[], bytes]]] = [
        ("div-100k", nest("<div>", "</div>")),
        ("div-unclosed-200k", unclosed("<div>", 200_000)),
        ("span-100k", nest("<span>", "</span>")),
        ("formatting-misnested-50k", unclosed("<b><i><u>", 50_000)),
        ("formatting-closed-wrong-order-30k", unclosed("<b><i></b></i>", 30_000)),
        ("adoption-agency-a-20k", unclosed("<a href=x><p>", 20_000)),
        ("table-10k", nest("<table><tr><td>", "</td></tr></table>", 10_000)),
        ("table-foster-parenting-50k", unclosed("<table>text<tr>", 50_000)),
        ("list-100k", nest("<ul><li>", "</li></ul>")),
        ("select-option-50k", unclosed("<select><option>", 50_000)),
        ("svg-100k", nest("<svg><g>", "</g></svg>", 50_000)),
        ("math-100k", nest("<math><mi>", "</mi></math>", 50_000)),
        ("template-50k", nest("<template>", "</template>", 50_000)),
        ("font-100k", unclosed("<font color=red>")),
        ("button-p-50k", unclosed("<button><p>", 50_000)),
        ("heading-nesting-50k", unclosed("<h1><h2>", 50_000)),
        ("close-tags-only-200k", lambda: page("</div></span></x>" * 200_000 + MARK)),
        ("frameset-10k", lambda: b"<html><frameset>" * 10_000 + MARK.encode()),
        ("noscript-iframe-50k", unclosed("<noscript><iframe>", 50_000)),
        ("paragraphs-1M", lambda: page("<p>x" * 1_000_000 + end)),
    ]
    for name, make in items:
        yield case(cat, name, "html", make)


def _attribute_cases() -> Iterator[Case]:
    cat = "huge-attributes"
    big = "x" * (20 * MiB)
    items: list[tuple[str, Callable[[], bytes]]] = [
        ("title-attr-20MiB", lambda: page(f"<p title='{big}'>{MARK}</p>")),
        ("href-20MiB", lambda: page(f"<a href='http://e.org/{big}'>{MARK}</a>")),
        (
            "attrs-100k-one-element",
            lambda: page("<p " + " ".join(f"a{i}=v" for i in range(100_000)) + f">{MARK}</p>"),
        ),
        ("duplicate-attrs-100k", lambda: page("<p " + "class=a " * 100_000 + f">{MARK}</p>")),
        ("class-list-1M-names", lambda: page("<p class='" + "c " * 1_000_000 + f"'>{MARK}</p>")),
        ("unterminated-attr-quote", lambda: page(f"<p title='{'y' * MiB}>{MARK}")),
        ("attr-name-4MiB", lambda: page(f"<p {'n' * (4 * MiB)}=1>{MARK}</p>")),
        ("style-attr-8MiB", lambda: page(f"<p style='{'color:red;' * (800 * 1024)}'>{MARK}</p>")),
        (
            "links-300k",
            lambda: page("".join(f"<a href='/d/{i}'>l{i}</a>" for i in range(300_000)) + MARK),
        ),
        ("tag-name-4MiB", lambda: page(f"<{'t' * (4 * MiB)}>{MARK}")),
    ]
    for name, make in items:
        yield case(cat, name, "html", make)


def _misc_cases() -> Iterator[Case]:
    cat = "huge-content"
    items: list[tuple[str, Callable[[], bytes]]] = [
        ("text-node-32MiB", lambda: page("word " * (32 * MiB // 5))),
        ("comment-32MiB", lambda: page("<!--" + "c" * (32 * MiB) + "-->" + MARK)),
        ("unterminated-comment", lambda: page(MARK + "<!--" + "c" * MiB)),
        ("script-32MiB", lambda: page("<script>" + "var a=1;" * (4 * MiB) + "</script>" + MARK)),
        ("style-16MiB", lambda: page(MARK, head="<style>" + "p{}" * (5 * MiB) + "</style>")),
        ("title-16MiB", lambda: page(MARK, head="<title>" + "t" * (16 * MiB) + "</title>")),
        ("entities-4M", lambda: page("&amp;" * 4_000_000 + MARK)),
        (
            "bad-char-refs",
            lambda: page("&#0;&#x110000;&#xD800;&#99999999999999999999;&#x;&" + MARK),
        ),
        ("null-bytes", lambda: page("\0" * MiB + MARK)),
        ("invalid-utf8", lambda: page(MARK).replace(b"<body>", b"<body>\xff\xfe\xc3(\xa0\xa1")),
        (
            "utf16-bom-odd-length",
            lambda: b"\xff\xfe" + page(MARK).decode().encode("utf-16-le") + b"\x00",
        ),
        ("meta-charset-bogus", lambda: page(MARK, head="<meta charset='x-no-such-charset'>")),
        ("meta-charset-utf7", lambda: page(MARK, head="<meta charset='utf-7'>")),
        (
            "meta-charset-8k-deep",
            lambda: b" " * 8000 + page(MARK, head="<meta charset='windows-1252'>"),
        ),
        ("random-bytes-1MiB", lambda: random.Random(41).randbytes(MiB)),
        ("headings-200k", lambda: page("<h2>Item</h2>" * 200_000 + MARK)),
        ("br-1M", lambda: page("<br>" * 1_000_000 + MARK)),
        ("plaintext-tag", lambda: page("<plaintext>" + "<div>" * 1000 + MARK)),
        ("cdata-in-html", lambda: page("<![CDATA[" + "x" * MiB + "]]>" + MARK)),
        ("doctype-huge", lambda: b"<!DOCTYPE " + b"h" * (8 * MiB) + b">" + page(MARK)),
        ("empty", lambda: b""),
        ("whitespace-only-8MiB", lambda: b" \n\t" * (8 * MiB // 3)),
    ]
    for name, make in items:
        yield case(cat, name, "html", make)


SEEDS: dict[str, Callable[[], bytes]] = {
    "generated:agenda.html": lambda: page(
        "<h1>City Council Regular Meeting</h1><ol>"
        + "".join(
            f"<li><a href='/item/{i}'>Item {i}</a>: consider resolution {i}</li>" for i in range(20)
        )
        + "</ol><table><tr><th>Member</th><th>Vote</th></tr>"
        + "<tr><td>Lee</td><td>Aye</td></tr></table>"
    ),
}


def cases() -> list[Case]:
    """Every generated HTML case."""
    out = [*_nesting_cases(), *_attribute_cases(), *_misc_cases()]
    for label, make in SEEDS.items():
        out.extend(mutation_cases("html", label, make, len(make())))
    return out
