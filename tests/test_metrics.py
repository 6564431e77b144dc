"""The text-quality metrics of ``_metrics``: what each one can and cannot see."""

from __future__ import annotations

from _metrics import order_ratio, word_f1

PAGE = (
    "Call to order. Roll call of the council members present. Approval of the minutes "
    "of the regular meeting. Public comment on items not on the agenda. Adjournment."
)


def test_a_reordered_page_passes_word_f1_but_fails_the_order_ratio() -> None:
    # The same words with the halves swapped (as when two columns come out in the wrong
    # order), and then fully reversed: the bag of words is unchanged.
    words = PAGE.split()
    half = len(words) // 2
    swapped = " ".join(words[half:] + words[:half])
    reversed_ = " ".join(reversed(words))

    assert word_f1(swapped, PAGE) == 1.0
    assert word_f1(reversed_, PAGE) == 1.0
    assert order_ratio([swapped], [PAGE]) < 0.6
    assert order_ratio([reversed_], [PAGE]) < 0.2


def test_the_same_text_scores_one_whatever_the_whitespace() -> None:
    assert order_ratio([PAGE.replace(". ", ".\n")], [PAGE]) == 1.0
    assert order_ratio([], []) == 1.0
    assert order_ratio([""], [""]) == 1.0


def test_words_are_not_matched_across_pages() -> None:
    # Page 1's text on page 2 and the reverse: every word is there, on the wrong page.
    first, second = "alpha beta gamma delta", "epsilon zeta eta theta"
    assert word_f1(f"{second}\n{first}", f"{first}\n{second}") == 1.0
    assert order_ratio([second, first], [first, second]) == 0.0


def test_a_missing_page_counts_its_words_as_unmatched() -> None:
    # 2 * 2 matched / (2 + 4 words)
    assert abs(order_ratio(["one two"], ["one two", "three four"]) - 2 / 3) < 1e-12
    assert abs(order_ratio(["one two", "three four"], ["one two"]) - 2 / 3) < 1e-12


def test_a_lost_word_costs_in_proportion() -> None:
    ref = " ".join(f"w{i}" for i in range(100))
    cand = " ".join(f"w{i}" for i in range(100) if i != 50)
    assert abs(order_ratio([cand], [ref]) - 2 * 99 / 199) < 1e-12
