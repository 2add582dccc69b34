// GET a board's live stream: Server-Sent Events relayed from Redis Pub/Sub, resumed from Last-Event-ID.
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from "@/server/next-routes";
