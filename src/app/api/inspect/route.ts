// GET what the inspector page shows: topics, partitions, groups and lag.
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from "@/server/next-routes";
