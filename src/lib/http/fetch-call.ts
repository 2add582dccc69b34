import type { Call, Reply, StreamOpening } from "./call";

/** A route handler's Request as a Call. */
export function fromRequest(request: Request): Call {
  return { url: request.url, headers: request.headers, body: request.body };
}

export function toResponse(reply: Reply): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}

/** A route handler that serves a Call. */
export function routeHandler(handle: (call: Call) => Promise<Reply>): (request: Request) => Promise<Response> {
  return async (request) => toResponse(await handle(fromRequest(request)));
}

// What the stream itself may hold before it stops pulling from us; beyond it, chunks queue in the stream.
const STREAM_HIGH_WATER_BYTES = 16 * 1024;

/** A route handler that serves a stream as a ReadableStream. */
export function streamHandler(open: (call: Call) => Promise<StreamOpening>): (request: Request) => Promise<Response> {
  return async (request) => {
    const opening = await open(fromRequest(request));
    if (opening.refused) return toResponse(opening.refused);
    let gone = () => {};
    const stream = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          gone = opening.attach({
            write: (chunk) => controller.enqueue(chunk),
            queuedBytes: () => STREAM_HIGH_WATER_BYTES - (controller.desiredSize ?? 0),
            end: (dropped) => (dropped ? controller.error(dropped) : controller.close()),
          });
          request.signal.addEventListener("abort", () => gone(), { once: true });
        },
        cancel: () => gone(),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: STREAM_HIGH_WATER_BYTES }),
    );
    return new Response(stream, { headers: opening.headers });
  };
}
