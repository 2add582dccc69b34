// GET one message by id, with its neighbours, from PostgreSQL.
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from "@/server/next-routes";
