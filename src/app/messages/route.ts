// The first design's API, kept for its clients: POST a message; GET the recent ones as a plain array.
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from "@/server/next-routes";
