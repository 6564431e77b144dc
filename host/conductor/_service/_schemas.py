"""The API's request and response bodies (pydantic models; they make ``/openapi.json``)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from conductor._errors import InvalidConfigError
from conductor._results import ChunkConfig

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
_RESERVED_HEADERS = {"content-type", "content-length", "host", "x-conductor-signature"}


URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^/?#\s]+\S*$"
"""An absolute http(s) URL: what a client may give, never a path or another scheme, so
the server never reads its own files for a client."""


class Error(BaseModel):
    """Every error: the CLI's ``{"kind", "stage", "message"}``."""

    kind: str
    stage: str
    message: str


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=4096, pattern=URL_PATTERN, description="http or https URL of the document"
    )
    type: str | None = Field(None, max_length=32, description="format hint; magic bytes decide")
    source: str | None = Field(None, max_length=200, description="source name (e.g. primegov)")
    password: str | None = Field(
        None, max_length=1024, description="for an encrypted PDF; kept in memory only"
    )


class ChunkingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_tokens: int = Field(512, ge=1, le=1_000_000)
    overlap_tokens: int = Field(0, ge=0, le=1_000_000)
    encoding: Literal["cl100k_base", "o200k_base"] = "cl100k_base"

    @model_validator(mode="after")
    def _check(self) -> ChunkingIn:
        self.config()
        return self

    def config(self) -> ChunkConfig:
        try:
            return ChunkConfig(self.max_tokens, self.overlap_tokens, self.encoding)
        except InvalidConfigError as e:
            raise ValueError(e.message) from None


class CallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=4096, pattern=URL_PATTERN, description="POSTed the job object when it ends"
    )
    headers: dict[str, str] = Field(
        default_factory=dict, max_length=20, description="sent with the callback"
    )

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER_NAME.match(name) or name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"{name!r} cannot be a callback header")
            if len(text) > 4096 or any(c in text for c in "\r\n\0") or not text.isprintable():
                raise ValueError(f"the value of header {name!r} is not a valid header value")
        return value


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[DocumentIn] = Field(min_length=1, max_length=1000)
    chunking: ChunkingIn | None = None
    callback: CallbackIn | None = None


class JobAccepted(BaseModel):
    job_id: str
    status: Literal["queued"]
    documents: int


class JobDocumentOut(BaseModel):
    source: str
    status: Literal["queued", "succeeded", "failed", "cancelled"]
    sha256: str | None
    format: str | None
    page_count: int | None
    chunks: int | None
    error: Error | None


class JobOut(BaseModel):
    job_id: str
    status: Literal["queued", "running", "succeeded", "failed", "partial", "cancelled"]
    created_at: str
    finished_at: str | None
    documents: list[JobDocumentOut]


class Health(BaseModel):
    status: str
