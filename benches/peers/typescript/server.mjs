// The official TypeScript MCP SDK (@modelcontextprotocol/sdk 1.x) serving
// the benchmark's `echo` tool, stateless with JSON responses, shaped like the
// SDK's own stateless example (examples/server/simpleStatelessStreamableHttp):
// the SDK's Express app, and a fresh server and transport for every request
// (`sessionIdGenerator: undefined`, `enableJsonResponse: true`). Unlike the
// example it logs nothing per request.
//
// Listens on 127.0.0.1:$PORT, endpoint /mcp; run with Node 22.

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import * as z from 'zod/v4';

const port = Number.parseInt(process.env.PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('PORT must be set to a TCP port');
  process.exit(2);
}

function getServer() {
  const server = new McpServer({ name: 'peer-typescript', version: '1.0.0' });
  server.registerTool(
    'echo',
    {
      description: 'Returns its text argument unchanged',
      inputSchema: { text: z.string().describe('The text to send back.') },
    },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

const methodNotAllowed = JSON.stringify({
  jsonrpc: '2.0',
  error: { code: -32000, message: 'Method not allowed.' },
  id: null,
});

const app = createMcpExpressApp({ host: '127.0.0.1' });

app.post('/mcp', async (req, res) => {
  const server = getServer();
  try {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
    res.on('close', () => {
      transport.close();
      server.close();
    });
  } catch (error) {
    console.error('Error handling MCP request:', error);
    if (!res.headersSent) {
      res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
    }
  }
});

app.get('/mcp', (_req, res) => {
  res.writeHead(405).end(methodNotAllowed);
});

app.delete('/mcp', (_req, res) => {
  res.writeHead(405).end(methodNotAllowed);
});

app.listen(port, '127.0.0.1', (error) => {
  if (error) {
    console.error('Failed to start server:', error);
    process.exit(1);
  }
});
