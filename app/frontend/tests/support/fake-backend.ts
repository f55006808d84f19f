import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** Path and query, exactly as received. */
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface FakeReply {
  status?: number;
  body?: unknown;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
}

export type FakeHandler = (request: RecordedRequest) => FakeReply;

/**
 * A real HTTP server on 127.0.0.1 standing in for the FastAPI backend: it records every
 * request and answers with whatever the current handler returns.
 */
export async function startFakeBackend() {
  const requests: RecordedRequest[] = [];
  let handler: FakeHandler = () => ({ status: 200, body: {} });
  const server = createServer(async (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const recorded: RecordedRequest = {
      method: incoming.method ?? "",
      url: incoming.url ?? "",
      headers: incoming.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    requests.push(recorded);
    const { status = 200, body, delayMs = 0 } = handler(recorded);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (response.destroyed) return;
    if (body === undefined) {
      response.writeHead(status).end();
    } else {
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith(next: FakeHandler) {
      handler = next;
    },
    reset() {
      requests.length = 0;
      handler = () => ({ status: 200, body: {} });
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

export type FakeBackend = Awaited<ReturnType<typeof startFakeBackend>>;

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedLoopbackUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return `http://127.0.0.1:${port}`;
}
