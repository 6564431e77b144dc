from __future__ import annotations

import pickle

import pytest

import conductor
from conductor import ConductorError

KINDS = {
    "ReadError": ("io_error", "read"),
    "UnsupportedFormatError": ("unsupported_format", "detect"),
    "CorruptDocumentError": ("corrupt", "extract"),
    "EncryptedDocumentError": ("encrypted", "extract"),
    "TooLargeError": ("too_large", "extract"),
    "ExtractTimeoutError": ("timeout", "extract"),
    "MemoryLimitError": ("memory_limit", "extract"),
    "PluginFailureError": ("plugin_failure", "extract"),
    "InvalidConfigError": ("invalid_config", "chunk"),
    "DatabaseError": ("database", "store"),
    "CancelledError": ("cancelled", "download"),
}


@pytest.mark.parametrize(("name", "expected"), sorted(KINDS.items()))
def test_each_error_has_its_kind_stage_and_hint(name: str, expected: tuple[str, str]) -> None:
    cls = getattr(conductor, name)
    assert issubclass(cls, ConductorError)
    err = cls("it broke", document="agenda.pdf")
    assert (err.kind, err.stage) == expected
    assert err.hint
    assert err.hint == cls.default_hint
    text = str(err)
    assert "agenda.pdf" in text
    assert "it broke" in text
    assert expected[1] in text
    assert err.hint in text
    assert err.to_dict() == {"kind": expected[0], "stage": expected[1], "message": text}


def test_every_error_class_is_covered() -> None:
    public = {n for n in conductor.__all__ if n.endswith("Error") and n != "ConductorError"}
    assert public == set(KINDS)
    kinds = [getattr(conductor, n).kind for n in KINDS]
    assert len(set(kinds)) == len(kinds)


def test_stage_and_hint_can_be_overridden() -> None:
    err = conductor.UnsupportedFormatError("no fonts", document="x", stage="extract", hint="h!")
    assert err.to_dict()["stage"] == "extract"
    assert str(err) == "x: no fonts [stage: extract; hint: h!]"


def test_errors_survive_pickling() -> None:
    err = conductor.MemoryLimitError("too big", document="d.pdf")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is conductor.MemoryLimitError
    assert back.to_dict() == err.to_dict()


def test_document_defaults_to_a_placeholder() -> None:
    assert str(conductor.ReadError("gone")).startswith("<document>: gone")


def test_module_docstring_draws_the_whole_tree() -> None:
    from conductor import _errors

    assert _errors.__doc__ is not None
    for name in KINDS:
        assert name in _errors.__doc__
