"""Malformed HTTP from strangers is logged once per client at WARNING, without a traceback,
and the server keeps answering (bad chunking, CL+TE, a garbage request line)."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from bot.httplog import MalformedHttpFilter
from bot.web import WebServer

MALFORMED = [
    b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n",
    b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"\x16\x03\x01 garbage request line\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
]


async def send_raw(host: str, port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(data)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(4096), 10)
    finally:
        writer.close()


async def test_malformed_requests_are_one_warning_per_client_without_traceback(caplog):
    web = WebServer()
    for f in logging.getLogger("aiohttp.server").filters:  # as WebServer installed it
        if isinstance(f, MalformedHttpFilter):
            f._last.clear()  # earlier tests in this process may have been noisy
    web.listen("127.0.0.1", 0)
    await web.start()
    host, port = web.bound[0]
    try:
        with caplog.at_level(logging.DEBUG, logger="aiohttp.server"):
            answers = [await send_raw(host, port, m) for m in MALFORMED * 5]
            async with aiohttp.ClientSession() as s, s.get(f"http://{host}:{port}/healthz") as r:
                assert (r.status, await r.text()) == (200, "ok")
    finally:
        await web.stop()
    assert all(a.split(b" ", 2)[1] == b"400" for a in answers)
    server = [r for r in caplog.records if r.name == "aiohttp.server" and r.levelno > logging.DEBUG]
    assert [r.levelname for r in server] == ["WARNING"]
    assert server[0].getMessage().startswith("malformed HTTP request from 127.0.0.1 (400 ")
    assert not any(r.exc_info for r in server) and "Traceback" not in caplog.text
