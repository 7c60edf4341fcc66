"""The official Python SDK client (mcp 2.x) against a server whose endpoint
is guarded by a bearer token: without the token the client fails to
connect (401); with it, it lists and calls tools. Exits non-zero on any
mismatch. Usage: python_auth_client.py URL TOKEN
"""

import asyncio
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


async def connect(url, headers):
    http = httpx2.AsyncClient(headers=headers, timeout=10)
    async with Client(streamable_http_client(url, http_client=http)) as c:
        tools = await c.list_tools()
        names = [t.name for t in tools.tools]
        result = await c.call_tool("text_stats", {"text": "hi there"})
        return names, result


async def main(url, token):
    try:
        await connect(url, {})
        check(False, "connecting without a token fails")
    except Exception as e:  # the SDK surfaces the 401 as an error
        check("401" in repr(e) or "Unauthorized" in repr(e) or "nauthor" in str(e), f"without a token: {e!r}"[:200])
    names, result = await connect(url, {"Authorization": f"Bearer {token}"})
    check("text_stats" in names, f"with the token the tools are listed: {names}")
    check(not result.is_error, "and a tool call succeeds")


asyncio.run(main(sys.argv[1], sys.argv[2]))
