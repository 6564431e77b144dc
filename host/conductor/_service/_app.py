"""The FastAPI application: routes, error shapes, and the parts it starts and stops.

Routes under ``/v1`` need an API key (:class:`conductor._service._guard.Guard`); ``/healthz``,
``/readyz`` and ``/metrics`` are open. Every error body is ``{"kind", "stage", "message"}``,
the CLI's error object.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, Path, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from conductor import _job_inputs as job_inputs
from conductor import _metrics_db as metrics_db
from conductor._db import Database
from conductor._errors import ConductorError, InvalidConfigError
from conductor._extract import Extractor
from conductor._models import chunks_to_dict
from conductor._queue import JobQueue
from conductor._results import ChunkConfig
from conductor._store import Store

from ._auth import KeyRing, key_hash
from ._callbacks import CallbackSender, url_problem
from ._config import MB, ServiceConfig
from ._guard import Guard, owner_of
from ._metrics import Metrics
from ._queue_runner import QueueRunner
from ._runner import EmbeddedRunner, JobRunner, discard_uploads, upload_dir
from ._schemas import CallbackIn, ChunkingIn, Error, Health, JobAccepted, JobIn, JobOut
from ._store import TERMINAL, Job, JobStore, NewDocument

log = logging.getLogger("conductor.service")

_SHA256 = r"^[0-9a-fA-F]{64}$"
_READ_BLOCK = 1 << 20
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Error} for code in (401, 404, 413, 422, 429)
}


class ApiError(Exception):
    """An error answer: ``status`` with ``{"kind", "stage", "message"}``."""

    def __init__(
        self,
        status: int,
        kind: str,
        message: str,
        *,
        stage: str = "api",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.kind, self.stage, self.message = status, kind, stage, message
        self.headers = headers


def _error(
    status: int, kind: str, stage: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"kind": kind, "stage": stage, "message": message}, status, headers=headers)


class Service:
    """What the routes share: the database, the job store, the runner, the callback
    sender, the metrics and an extractor for synchronous extraction."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.queue: JobQueue | None = None
        if config.postgres:
            # migrates the store (0005: our tables) and creates the queue's schema
            self.queue = JobQueue(config.database)
            self.database: Store = self.queue.store
        else:
            self.database = Database(config.database)  # creates and migrates (0005)
        try:
            if self.queue is not None:
                self.store = JobStore.postgres(self.queue.store)
            else:
                assert isinstance(self.database, Database)
                self.store = JobStore.sqlite(self.database)
            if config.api_keys:
                self.store.replace_keys([key_hash(k) for k in config.api_keys])
            self.keys = KeyRing(self.store.key_hashes())
            if not len(self.keys):
                raise InvalidConfigError(
                    "no API keys: the service answers only requests with a key",
                    document=self.database.path,
                    stage="serve",
                    hint="give --api-keys-file FILE or set CONDUCTOR_API_KEYS",
                )
        except BaseException:
            self._close_database()
            raise
        # queue mode: the workers' figures, which they push through the database
        stored = None if self.queue is None else partial(metrics_db.read, self.queue.store)
        self.metrics = Metrics(self.store.status_counts, stored)
        self.sender = CallbackSender(
            self.store,
            config.callback_secret,
            allow_private=config.allow_private_callbacks,
            retry_base_s=config.callback_retry_base_s,
        )
        self.runner: JobRunner
        if self.queue is not None:
            self.runner = QueueRunner(
                self.store, self.queue, self.metrics, on_end=lambda job_id: self.sender.wake()
            )
        else:
            os.makedirs(config.upload_spool, exist_ok=True)
            self.runner = EmbeddedRunner(
                self.store,
                self.database,
                self.metrics,
                workers=config.workers,
                fetch=config.fetch,
                limits=config.limits,
                spool=config.upload_spool,
                on_end=lambda job_id: self.sender.wake(),
            )
        self.extractor = Extractor(replace(config.limits, timeout_s=config.extract_timeout_s))
        self.extract_slots = threading.BoundedSemaphore(config.workers)

    def start(self) -> None:
        self.sender.start()
        self.runner.start()

    def close(self) -> None:
        self.runner.close()
        self.sender.close()
        self.store.close()
        self._close_database()

    def _close_database(self) -> None:
        if self.queue is not None:
            self.queue.close()  # and its store
        else:
            self.database.close()

    def caps(self, path: str) -> int:
        if path == "/v1/jobs/upload":
            return self.config.max_upload_bytes
        if path == "/v1/extract":
            return self.config.extract_max_bytes
        return MB  # JSON bodies

    def submit(
        self,
        owner: str,
        documents: list[NewDocument],
        passwords: dict[int, str],
        chunking: ChunkConfig,
        callback: CallbackIn | None,
        job_id: str | None = None,
    ) -> JobAccepted:
        if callback is not None:
            problem = url_problem(
                callback.url, allow_private=self.config.allow_private_callbacks, resolve=False
            )
            if problem is None and self.config.callback_secret is None:
                problem = (
                    "callbacks need a signing secret: the server has no CONDUCTOR_CALLBACK_SECRET"
                )
            if problem is not None:
                raise ApiError(422, "invalid_argument", problem)
        job_id = job_id or secrets.token_hex(16)
        if isinstance(self.runner, QueueRunner):
            # uploads and passwords into PostgreSQL, where any worker reads them
            documents = self.runner.stage(documents, passwords, chunking)
            discard_uploads(self.config.upload_spool, job_id)
        try:
            self.store.create_job(
                job_id,
                owner,
                documents,
                chunking,
                None if callback is None else callback.url,
                {} if callback is None else callback.headers,
            )
        except BaseException:
            if self.queue is not None:  # no job will read them
                inputs = [d.input_id for d in documents if d.input_id is not None]
                job_inputs.delete_inputs(self.queue.store, inputs)
            raise
        self.runner.submit(job_id, passwords)
        log.info(
            "job queued: %d document(s)",
            len(documents),
            extra={"job_id": job_id, "status": "queued"},
        )
        return JobAccepted(job_id=job_id, status="queued", documents=len(documents))

    def check_quota(self, owner: str) -> None:
        if self.store.active_jobs(owner) >= self.config.max_active_jobs:
            raise ApiError(
                429,
                "too_many_jobs",
                f"this API key has {self.config.max_active_jobs} jobs queued or running, the "
                "most it may; wait for some to end",
                headers={"Retry-After": "5"},
            )

    def owned_job(self, job_id: str, owner: str) -> Job:
        job = self.store.job(job_id)
        if job is None or job.owner != owner:  # another key's job is not there for this one
            raise ApiError(404, "not_found", f"no job {job_id}")
        return job


def create_app(config: ServiceConfig) -> FastAPI:
    """The application; its lifespan starts the runner and the callback sender.

    :raises InvalidConfigError: the configuration cannot serve: no API keys.
    :raises DatabaseError: the database cannot be opened.
    """
    service = Service(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        exporter = None
        try:
            if config.metrics_port is not None:
                # prometheus-client's own threaded HTTP server: scrapes never queue behind
                # API requests, and the API's port never shows the metrics.
                exporter, _ = start_http_server(
                    config.metrics_port, config.host, registry=service.metrics.registry
                )
                host, port = exporter.server_address[:2]
                log.info("metrics on http://%s:%d/metrics", host, port)
            yield
        finally:
            if exporter is not None:
                exporter.shutdown()
                exporter.server_close()
            await run_in_threadpool(service.close)

    app = FastAPI(
        title="engagic-conductor",
        description="Civic documents to text, metadata and chunks: jobs, documents, extraction.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(Guard, keys=lambda: service.keys, caps=service.caps)
    _handlers(app)
    _routes(app, service)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, e: ApiError) -> JSONResponse:
        return _error(e.status, e.kind, e.stage, e.message, e.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}"
            for err in e.errors()
        )
        return _error(422, "invalid_argument", "api", f"invalid request: {problems}"[:2000])

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(e.status_code, "bad_request")
        return _error(e.status_code, kind, "api", str(e.detail), dict(e.headers or {}))

    @app.exception_handler(ConductorError)
    async def conductor_error(request: Request, e: ConductorError) -> JSONResponse:
        status = 503 if e.kind == "database" else 413 if e.kind == "too_large" else 422
        error = e.to_dict()
        return _error(status, error["kind"], error["stage"], error["message"])


_bearer = HTTPBearer(auto_error=False, description="an API key of --api-keys-file")


def _owner(request: Request, _: Annotated[Any, Depends(_bearer)]) -> str:
    """The key's hash (the Guard middleware checked the key; this declares it in the
    OpenAPI document and hands it to the route)."""
    return owner_of(request.state)


Owner = Annotated[str, Depends(_owner)]
Sha256 = Annotated[str, Path(pattern=_SHA256, description="the document's sha256 (hex)")]


def _routes(app: FastAPI, service: Service) -> None:
    @app.post("/v1/jobs", status_code=202, response_model=JobAccepted, responses=_ERRORS)
    async def submit(body: JobIn, who: Owner) -> JobAccepted:
        """Queues a job of documents given by URL (never server paths)."""
        service.check_quota(who)
        docs = [NewDocument(d.url, url=d.url, type=d.type, vendor=d.source) for d in body.documents]
        passwords = {i: d.password for i, d in enumerate(body.documents) if d.password}
        chunking = ChunkConfig() if body.chunking is None else body.chunking.config()
        return await run_in_threadpool(
            service.submit, who, docs, passwords, chunking, body.callback
        )

    @app.post("/v1/jobs/upload", status_code=202, response_model=JobAccepted, responses=_ERRORS)
    async def upload(
        who: Owner,
        files: Annotated[list[UploadFile], File(description="the documents")],
        max_tokens: Annotated[int, Form(ge=1, le=1_000_000)] = 512,
        overlap_tokens: Annotated[int, Form(ge=0, le=1_000_000)] = 0,
        encoding: Annotated[str, Form(pattern="^(cl100k_base|o200k_base)$")] = "cl100k_base",
        callback_url: Annotated[str | None, Form(max_length=4096)] = None,
        callback_headers: Annotated[str | None, Form(description="a JSON object")] = None,
        password: Annotated[str | None, Form(max_length=1024)] = None,
    ) -> JobAccepted:
        """Queues a job of uploaded files (multipart), with the options as form fields."""
        service.check_quota(who)
        try:
            chunking = ChunkingIn(
                max_tokens=max_tokens,
                overlap_tokens=overlap_tokens,
                encoding=encoding,  # type: ignore[arg-type]
            ).config()
            callback = None
            if callback_url is not None:
                headers = json.loads(callback_headers or "{}")
                callback = CallbackIn(url=callback_url, headers=headers)
        except json.JSONDecodeError:
            raise ApiError(
                422, "invalid_argument", "callback_headers must be a JSON object"
            ) from None
        except ValidationError as e:
            raise ApiError(
                422, "invalid_argument", f"invalid request: {e.errors()[0]['msg']}"
            ) from None
        if not files or len(files) > 1000:
            raise ApiError(422, "invalid_argument", "give 1 to 1000 files")
        job_id = secrets.token_hex(16)
        folder = upload_dir(service.config.upload_spool, job_id)
        try:
            docs = await run_in_threadpool(_spool, folder, files)
            passwords = dict.fromkeys(range(len(docs)), password) if password else {}
            return await run_in_threadpool(
                service.submit, who, docs, passwords, chunking, callback, job_id
            )
        except BaseException:
            discard_uploads(service.config.upload_spool, job_id)  # no job will read them
            raise

    @app.get("/v1/jobs/{job_id}", response_model=JobOut, responses=_ERRORS)
    async def get_job(
        who: Owner,
        job_id: str,
        wait: Annotated[
            float, Query(ge=0, le=60, description="long-poll up to this many seconds")
        ] = 0,
    ) -> dict[str, Any]:
        """A job and its documents; with ``wait``, answers when the job ends or after
        ``wait`` seconds, whichever is first."""
        job = await run_in_threadpool(service.owned_job, job_id, who)
        deadline = time.monotonic() + wait
        while job.status not in TERMINAL and time.monotonic() < deadline:
            await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            job = await run_in_threadpool(service.owned_job, job_id, who)
        result: dict[str, Any] = job.to_dict()
        return result

    @app.delete("/v1/jobs/{job_id}", response_model=JobOut, responses=_ERRORS)
    async def cancel(who: Owner, job_id: str) -> dict[str, Any]:
        """Cancels a queued or running job (an ended job is left as it is)."""
        await run_in_threadpool(service.owned_job, job_id, who)
        job = await run_in_threadpool(service.store.cancel, job_id)
        if job is None:
            raise ApiError(404, "not_found", f"no job {job_id}")
        service.runner.cancel(job_id)
        service.sender.wake()
        result: dict[str, Any] = job.to_dict()
        return result

    @app.get("/v1/documents/{sha256}", responses=_ERRORS)
    async def document(who: Owner, sha256: Sha256) -> dict[str, Any]:
        """Exactly the ``conductor extract --json`` object of a stored document."""
        doc = await run_in_threadpool(service.database.load_document, _sha(sha256))
        if doc is None:
            raise ApiError(404, "not_found", f"no stored document {sha256}")
        result: dict[str, Any] = doc.to_dict()
        return result

    @app.get("/v1/documents/{sha256}/chunks", responses=_ERRORS)
    async def chunks(
        who: Owner,
        sha256: Sha256,
        max_tokens: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
        overlap_tokens: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
        encoding: Annotated[str | None, Query(pattern="^(cl100k_base|o200k_base)$")] = None,
    ) -> dict[str, Any]:
        """Exactly the ``conductor chunk --json`` object of a stored document: its chunks
        made with the given configuration (missing fields: the defaults), or without any,
        the latest stored."""
        sha = _sha(sha256)
        doc = await run_in_threadpool(service.database.load_document, sha)
        if doc is None:
            raise ApiError(404, "not_found", f"no stored document {sha256}")
        key = None
        if (max_tokens, overlap_tokens, encoding) != (None, None, None):
            try:
                config = ChunkingIn(
                    max_tokens=512 if max_tokens is None else max_tokens,
                    overlap_tokens=overlap_tokens or 0,
                    encoding=encoding or "cl100k_base",  # type: ignore[arg-type]
                ).config()
            except ValidationError as e:
                raise ApiError(
                    422, "invalid_argument", f"invalid request: {e.errors()[0]['msg']}"
                ) from None
            info = await run_in_threadpool(service.extractor.chunker.info, service.config.limits)
            key = config.key(f"{info.name} {info.version}")
        found = await run_in_threadpool(service.database.find_chunks, sha, key)
        if found is None:
            raise ApiError(
                404,
                "not_found",
                f"no chunks of {sha256} are stored for this configuration (submit a job "
                "with that chunking to make them)",
            )
        return chunks_to_dict(doc, found)

    @app.post("/v1/extract", responses=_ERRORS)
    async def extract(
        who: Owner,
        file: Annotated[UploadFile, File(description="one small document")],
        password: Annotated[str | None, Form(max_length=1024)] = None,
    ) -> dict[str, Any]:
        """Extracts one uploaded document now (size and time bounded) and answers the
        ``conductor extract --json`` object; for larger ones submit a job."""
        if not service.extract_slots.acquire(blocking=False):
            raise ApiError(
                429,
                "too_many_requests",
                "every extraction slot is busy",
                headers={"Retry-After": "1"},
            )
        try:
            data = await file.read()
            name = os.path.basename(file.filename or "") or "upload"
            doc = await run_in_threadpool(
                service.extractor.extract, data, name=name, password=password
            )
        finally:
            service.extract_slots.release()
        result: dict[str, Any] = doc.to_dict()
        return result

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """The process is up."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": Error}})
    async def readyz() -> Any:
        """The database answers and a job runner was seen recently."""
        try:
            seen = await run_in_threadpool(service.runner.alive)
        except ConductorError as e:
            return _error(503, "not_ready", "readyz", f"the database does not answer: {e.message}")
        if seen < 1:
            return _error(503, "not_ready", "readyz", "no job runner was seen in the last 15 s")
        return Health(status="ready")

    if service.config.metrics_port is not None:
        return  # /metrics is on its own port (the lifespan serves it)

    @app.get("/metrics", response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics (text exposition format)."""
        body = await run_in_threadpool(generate_latest, service.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)


def _sha(value: str) -> str:
    if len(value) != 64 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ApiError(422, "invalid_argument", "a document is named by its sha256: 64 hex digits")
    return value.lower()


def _spool(folder: str, files: list[UploadFile]) -> list[NewDocument]:
    """Writes the uploads to the job's spool folder (they wait there for the job)."""
    os.makedirs(folder, exist_ok=True)
    docs = []
    for i, upload in enumerate(files):
        name = os.path.basename(upload.filename or "") or f"upload-{i}"
        path = os.path.join(folder, f"{i}")
        with open(path, "wb") as out:
            upload.file.seek(0)
            while block := upload.file.read(_READ_BLOCK):
                out.write(block)
        docs.append(NewDocument(name, upload=path))
    return docs
