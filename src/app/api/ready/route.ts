// GET whether Kafka, Redis and PostgreSQL answer, and what is wrong when one does not.
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from "@/server/next-routes";
