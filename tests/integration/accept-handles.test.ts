// The web app's listening socket under a crowd of new connections: Node 20 takes one connection per
// listening handle per turn of the event loop, so what a busy process can take at once is the number of
// its handles.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { once } from "node:events";
import { test } from "node:test";
import { addAcceptHandles, closeHandles } from "../../src/server/accept-handles";

const CROWD = 40;

/** The most connections `server` was handed within one turn of the event loop while `crowd` came in at once. */
async function mostPerTurn(server: Server, crowd: number): Promise<number> {
  let thisTurn = 0;
  let most = 0;
  server.on("connection", () => {
    // Immediates run after the turn's I/O: the count so far is this turn's.
    if (thisTurn++ === 0)
      setImmediate(() => {
        most = Math.max(most, thisTurn);
        thisTurn = 0;
      });
  });
  const { port } = server.address() as AddressInfo;
  const clients: Socket[] = Array.from({ length: crowd }, () => connect(port, "127.0.0.1"));
  try {
    // Every one answered: connections taken by any handle are served by the one HTTP server.
    const answers = await Promise.all(
      clients.map(async (client) => {
        client.write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
        const [data] = (await once(client, "data")) as [Buffer];
        return data.toString("latin1").split("\r\n")[0];
      }),
    );
    assert.deepEqual(new Set(answers), new Set(["HTTP/1.1 204 No Content"]));
  } finally {
    for (const client of clients) client.destroy();
  }
  return most;
}

async function listeningServer(): Promise<Server> {
  const server = createServer((_request, response) => response.writeHead(204).end());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return server;
}

test("with more handles on its socket, a server takes a crowd of new connections several at a turn", async () => {
  const alone = await listeningServer();
  const shared = await listeningServer();
  const handles = await addAcceptHandles(shared, 7);
  try {
    assert.equal(handles.length, 7);
    assert.equal(await mostPerTurn(alone, CROWD), 1, "one handle: one connection per turn");
    assert.equal(await mostPerTurn(shared, CROWD), 8, "eight handles: eight per turn");
  } finally {
    for (const server of [alone, shared, ...handles]) server.close();
  }
});

test("once every handle is closed, the port takes no more connections", async () => {
  const server = await listeningServer();
  const handles = await addAcceptHandles(server, 3);
  const { port } = server.address() as AddressInfo;
  server.close();
  const refusedOrTaken = () =>
    new Promise((resolve) => {
      const client = connect(port, "127.0.0.1");
      client.once("connect", () => (resolve("taken"), client.destroy())).once("error", () => resolve("refused"));
    });
  assert.equal(await refusedOrTaken(), "taken", "the other handles still accept");
  await closeHandles(handles);
  assert.equal(await refusedOrTaken(), "refused");
});

test("when no child can return the socket, the server goes on with its one handle and nothing is left running", async () => {
  const server = await listeningServer();
  try {
    await assert.rejects(addAcceptHandles(server, 3, { node: "/bin/false" }), /ended \(1\)/);
    await assert.rejects(addAcceptHandles(server, 3, { node: "/nonexistent/node" }), /ENOENT/);
    assert.equal(await mostPerTurn(server, 4), 1);
  } finally {
    server.close();
  }
});
