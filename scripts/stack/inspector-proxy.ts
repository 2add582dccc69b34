import { createServer, request as forward, type Server } from "node:http";

/**
 * The inspector on its own port (8080, where Docker users find Kafka UI): every request is passed to the
 * web app, and `/` opens the inspector page.
 */
export function startInspectorProxy(port: number, webPort: number): Promise<Server> {
  const server = createServer((incoming, outgoing) => {
    if (incoming.url === "/" || incoming.url === "") {
      outgoing.writeHead(302, { Location: "/inspect" }).end();
      return;
    }
    const upstream = forward(
      { host: "127.0.0.1", port: webPort, path: incoming.url, method: incoming.method, headers: { ...incoming.headers, host: `127.0.0.1:${webPort}` } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on("error", () => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { "Content-Type": "text/plain" });
      outgoing.end("The web app is not answering.");
    });
    incoming.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => resolve(server));
  });
}
