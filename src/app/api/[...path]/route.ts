// Any other path under /api: a JSON 404 (and 405 for a known path's other methods), from the route table.
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from "@/server/next-routes";
