// PUT gives a reaction to a message, DELETE takes it back: records on the reactions topic, counted by the processor.
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from "@/server/next-routes";
