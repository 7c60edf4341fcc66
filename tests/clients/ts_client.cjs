// The official TypeScript SDK client (initialize generation) against a
// running server: lists, calls, reads, gets a prompt, and answers one
// elicitation over the response stream. Exits non-zero on any mismatch.
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { ElicitRequestSchema } = require('@modelcontextprotocol/sdk/types.js');

function check(cond, what) {
  if (!cond) {
    console.error(`FAIL: ${what}`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

async function main(url) {
  const client = new Client({ name: 'ts-sdk-e2e', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  let asked = null;
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked = req.params.message;
    return { action: 'accept', content: { username: 'grace', email: 'grace@example.com' } };
  });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  const version = transport.protocolVersion;
  check(typeof version === 'string' && version.startsWith('2025-'), `negotiated an initialize-generation version (${version})`);
  const tools = await client.listTools();
  check(tools.tools.some((t) => t.name === 'test_simple_text'), `tools/list (${tools.tools.length} tools)`);
  const call = await client.callTool({ name: 'test_simple_text', arguments: {} });
  check(call.content[0].text === 'This is a simple text response for testing.', 'tools/call');
  const read = await client.readResource({ uri: 'test://static-text' });
  check(read.contents[0].text === 'This is the content of the static text resource.', 'resources/read');
  const prompt = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'x', arg2: 'y' } });
  check(prompt.messages[0].content.text === "Prompt with arguments: arg1='x', arg2='y'", 'prompts/get');
  const elicit = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } });
  check(asked === 'Who are you?', 'the server asked over the response stream');
  check(elicit.content[0].text.includes('grace@example.com'), `elicitation round trip: ${elicit.content[0].text}`);
  await client.close();
}

main(process.argv[2]).catch((e) => {
  console.error(`FAIL: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
