// The web app's listening sockets under a crowd of new connections: Node takes one connection per listening
// socket per turn of the event loop, so what a busy process can take at once is the number of its sockets.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { test } from "node:test";
import { closeSockets, listenOnSockets } from "../../src/server/listening-sockets";

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
    // Every one answered: connections taken by any socket are served by the one HTTP server.
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

const noContent = () => createServer((_request, response) => response.writeHead(204).end());

test("with more sockets on its port, a server takes a crowd of new connections several at a turn", async () => {
  const alone = await listenOnSockets(noContent(), { port: 0, host: "127.0.0.1", count: 1 });
  const shared = await listenOnSockets(noContent(), { port: 0, host: "127.0.0.1", count: 8 });
  try {
    assert.equal(shared.length, 8);
    assert.equal(new Set(shared.map((socket) => (socket.address() as AddressInfo).port)).size, 1, "one port");
    assert.equal(await mostPerTurn(alone[0] as Server, CROWD), 1, "one socket: one connection per turn");
    // The kernel spreads connections over the sockets by a hash: nearly always all eight have one waiting.
    const most = await mostPerTurn(shared[0] as Server, CROWD);
    assert.ok(most >= 5, `eight sockets: several per turn, not ${most}`);
  } finally {
    await closeSockets([...alone, ...shared]);
  }
});

test("once every socket is closed, the port takes no more connections", async () => {
  const [server, ...others] = await listenOnSockets(noContent(), { port: 0, host: "127.0.0.1", count: 4 });
  const { port } = server!.address() as AddressInfo;
  const refusedOrTaken = () =>
    new Promise((resolve) => {
      const client = connect(port, "127.0.0.1");
      client.once("connect", () => (resolve("taken"), client.destroy())).once("error", () => resolve("refused"));
    });
  await closeSockets([server!]);
  assert.equal(await refusedOrTaken(), "taken", "the other sockets still accept");
  await closeSockets(others);
  assert.equal(await refusedOrTaken(), "refused");
});

test("a port another program holds is refused with its error, and nothing is left listening", async () => {
  const taken = createNetServer();
  taken.listen(0, "127.0.0.1");
  await once(taken, "listening");
  const { port } = taken.address() as AddressInfo;
  try {
    // Without SO_REUSEPORT on the other socket, the port cannot be shared.
    await assert.rejects(listenOnSockets(noContent(), { port, host: "127.0.0.1", count: 4 }), /EADDRINUSE/);
  } finally {
    taken.close();
  }
});
