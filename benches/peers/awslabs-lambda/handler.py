"""The benchmark's `echo` tool on the awslabs `mcp-lambda-handler` (PyPI
`awslabs.mcp-lambda-handler`), as its README writes a function: one
`MCPLambdaHandler`, tools declared with `@mcp.tool()`, and a Lambda handler
that passes each event to `handle_request`.

No session store (the library's default): `tools/call` is served without an
`initialize` first, as for the stateless Rust functions. Run it with the
official runtime interface client: `python -m awslambdaric handler.lambda_handler`.
"""

from awslabs.mcp_lambda_handler import MCPLambdaHandler

mcp = MCPLambdaHandler(name="awslabs-bench", version="1.0.0")


@mcp.tool()
def echo(text: str) -> str:
    """Returns its text argument unchanged.

    Args:
        text: The text to send back.
    """
    return text


def lambda_handler(event, context):
    return mcp.handle_request(event, context)
