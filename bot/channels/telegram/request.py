"""PTB's network layer on aiohttp: every Bot API call (getUpdates included) and file download.

PTB's default transport (httpx) spent ~70% of the bot's CPU per update on anyio/httpcore pool
bookkeeping. PTB still builds every request and turns every answer into its exceptions
(RetryAfter, Forbidden, ChatMigrated…) and retries as before; only the bytes go through aiohttp
(already a dependency for the web server). Timeouts mean what they mean in PTB's HTTPXRequest
(same defaults): connect, read, write (media_write_timeout with files) and pool (waiting for a
free connection); aiohttp has no separate write timeout, so write bounds the whole call instead.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # "use this request's own default" marker


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ):
        # Defaults as PTB's HTTPXRequest, so swapping the transport changes no behaviour.
        self._pool_size = connection_pool_size
        self._read, self._write, self._connect = read_timeout, write_timeout, connect_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read  # getUpdates adds its long-polling timeout to this

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(
            total=_sum(connect, pool, write, read),  # no timeout given as None: no bound
            connect=_sum(pool, connect),  # aiohttp's "connect" includes waiting for the pool
            sock_connect=connect,
            sock_read=read,
        )
        data, headers = None, {"User-Agent": self.USER_AGENT}
        if files:
            data = _form(request_data)
        elif request_data is not None:
            data = _urlencoded(request_data.json_parameters)  # the same form PTB sends
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, headers=headers
            ) as res:
                return res.status, await res.read()
        except asyncio.TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def _urlencoded(params: dict[str, str]) -> bytes:
    """A form body with every value byte percent-encoded, in C: urllib's quoting runs a Python
    call per byte of Chinese text, the costliest step of sending a reply. Any byte may be
    percent-encoded, so the server decodes exactly the same form."""
    return "&".join(
        f"{k}=%{v.encode('utf-8').hex('%')}" if v else f"{k}=" for k, v in params.items()
    ).encode("ascii")


def _given(value, default: float | None) -> float | None:
    return default if isinstance(value, _DEFAULT) else value


def _sum(*parts: float | None) -> float | None:
    return None if any(p is None for p in parts) else sum(parts)


def _form(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
