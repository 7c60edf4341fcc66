"""The official Python SDK client (mcp 2.x) against a running server.

Its default mode tries server/discover first, so against mcp-handler it
speaks 2026-07-28: lists, calls, reads, gets a prompt, and answers one
elicitation through an input-required round trip. Exits non-zero on any
mismatch.
"""

import asyncio
import sys

from mcp import Client, types

asked = []


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


async def on_elicit(_context, params):
    asked.append(params.message)
    return types.ElicitResult(action="accept", content={"name": "Ada"})


async def main(url):
    async with Client(url, elicitation_callback=on_elicit) as c:
        check(c.protocol_version == "2026-07-28", f"negotiated the stateless generation ({c.protocol_version})")
        check(c.server_info.name == "mcp-handler-everything", "server identity from server/discover")
        tools = await c.list_tools()
        check(any(t.name == "test_simple_text" for t in tools.tools), f"tools/list ({len(tools.tools)} tools)")
        r = await c.call_tool("test_simple_text", {})
        check(r.content[0].text == "This is a simple text response for testing.", "tools/call")
        rr = await c.read_resource("test://static-text")
        check(rr.contents[0].text == "This is the content of the static text resource.", "resources/read")
        p = await c.get_prompt("test_prompt_with_arguments", {"arg1": "a", "arg2": "b"})
        check(p.messages[0].content.text == "Prompt with arguments: arg1='a', arg2='b'", "prompts/get")
        e = await c.call_tool("test_input_required_result_elicitation", {})
        check(asked == ["What is your name?"], "the server asked for input")
        check(e.content[0].text == "Hello, Ada!", f"input-required round trip: {e.content[0].text}")


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1]))
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - report any failure as a test failure
        print(f"FAIL: {e!r}", file=sys.stderr)
        sys.exit(1)
