// POST a message to a board (Kafka first); GET a board's recent messages from Redis.
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from "@/server/next-routes";
