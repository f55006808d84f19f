import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

type Handler = (request: Request) => Promise<Response> | Response;

/**
 * Serves route handlers of this app over real HTTP on 127.0.0.1, so browser-side code under
 * test (which keeps its own reference to fetch) talks to the real server code.
 */
export async function startAppServer(routes: Record<string, Handler>) {
  const server = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const url = `http://${incoming.headers.host}${incoming.url}`;
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (typeof value === "string") headers.set(name, value);
    }
    const method = incoming.method ?? "GET";
    const request = new Request(url, { method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    const route = Object.keys(routes).find((prefix) => new URL(url).pathname.startsWith(prefix));
    const response = route ? await routes[route]!(request) : new Response("no such route", { status: 404 });
    const responseHeaders: Record<string, string | string[]> = {};
    response.headers.forEach((value, name) => {
      if (name !== "set-cookie") responseHeaders[name] = value;
    });
    responseHeaders["set-cookie"] = response.headers.getSetCookie();
    outgoing.writeHead(response.status, responseHeaders).end(Buffer.from(await response.arrayBuffer()));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
