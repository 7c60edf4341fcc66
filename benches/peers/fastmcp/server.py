"""FastMCP (PyPI `fastmcp`, 2.x) serving the benchmark's `echo` tool.

Stateless (`stateless_http=True`: a fresh transport per request, no
sessions) with JSON responses instead of SSE, served by uvicorn with one
worker, no access log and log level warning, on 127.0.0.1:$PORT at /mcp.
uvicorn runs as FastMCP installs it (asyncio loop, h11 parser): no
uvloop/httptools extras, which `pip install fastmcp` does not bring.
"""

import os

import uvicorn
from fastmcp import FastMCP

mcp = FastMCP("peer-fastmcp")


# No output schema: FastMCP would otherwise wrap the `str` result in
# `structuredContent` too, sending the text twice where every other peer
# sends it once (same answer, same bytes on the wire).
@mcp.tool(output_schema=None)
def echo(text: str) -> str:
    """Returns its text argument unchanged"""
    return text


def main() -> None:
    port = int(os.environ["PORT"])
    app = mcp.http_app(path="/mcp", stateless_http=True, json_response=True)
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
