// GET a board's older messages from PostgreSQL, a page at a time.
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from "@/server/next-routes";
