"""The official Python SDK's stdio client (mcp 2.x) against servers it launches.

Usage: python_stdio_client.py DEMO_BINARY EVERYTHING_BINARY

Each binary is started with `--stdio`, as a desktop host would start it. The
client's default mode probes `server/discover` first; a stdio server of the
`initialize` generation refuses the probe and the client falls back to the
handshake. Against `demo`: the 2025 handshake, tools/list, tools/call.
Against `everything`: an elicitation and a sampling request answered over
the same pipe. Exits non-zero on any mismatch.
"""

import asyncio
import sys

from mcp import Client, StdioServerParameters, types

asked = []
sampled = []


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


async def on_elicit(_context, params):
    asked.append(params.message)
    return types.ElicitResult(action="accept", content={"username": "ada", "email": "ada@example.com"})


async def on_sample(_context, params):
    sampled.append(params.messages[0].content.text)
    return types.CreateMessageResult(
        role="assistant", content=types.TextContent(type="text", text="four"), model="stand-in"
    )


async def main(demo, everything):
    async with Client(StdioServerParameters(command=demo, args=["--stdio"])) as c:
        check(c.protocol_version.startswith("2025-"), f"the 2025 generation over stdio ({c.protocol_version})")
        check(c.server_info.name == "mcp-handler-demo", f"server identity ({c.server_info.name})")
        tools = await c.list_tools()
        names = sorted(t.name for t in tools.tools)
        check(names == ["base64", "text_stats", "unix_time"], f"tools/list ({names})")
        r = await c.call_tool("base64", {"direction": "encode", "input": "hello"})
        check(not r.is_error and r.content[0].text == "aGVsbG8=", f"tools/call ({r.content[0].text})")
        r = await c.call_tool("text_stats", {"text": "one two\nthree"})
        check(r.structured_content == {"words": 3, "lines": 2, "characters": 13, "bytes": 13},
              f"tools/call with structured content ({r.structured_content})")

    async with Client(
        StdioServerParameters(command=everything, args=["--stdio"]),
        elicitation_callback=on_elicit,
        sampling_callback=on_sample,
    ) as c:
        check(c.protocol_version.startswith("2025-"), f"the 2025 generation over stdio ({c.protocol_version})")
        e = await c.call_tool("test_elicitation", {"message": "Who are you?"})
        check(asked == ["Who are you?"], f"the server's elicitation reached the client ({asked})")
        text = e.content[0].text
        check("action=accept" in text and "ada@example.com" in text, f"elicitation round trip ({text})")
        s = await c.call_tool("test_sampling", {"prompt": "2 + 2?"})
        check(sampled == ["2 + 2?"], f"the server's sampling request reached the client ({sampled})")
        check(s.content[0].text == "LLM response: four", f"sampling round trip ({s.content[0].text})")
        p = await c.call_tool("test_tool_with_progress", {})
        check(not p.is_error, "a tool that streams progress answers once")


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - report any failure as a test failure
        print(f"FAIL: {e!r}", file=sys.stderr)
        sys.exit(1)
