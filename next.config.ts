import type { NextConfig } from "next";
import { API_HEADERS, SECURITY_HEADERS, type HeaderValues } from "./src/lib/http/security-headers";

const list = (headers: HeaderValues) => Object.entries(headers).map(([key, value]) => ({ key, value }));

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // Long-lived network clients: load them from node_modules at run time instead of bundling them.
  serverExternalPackages: ["kafkajs", "ioredis", "pino", "prom-client"],
  async headers() {
    return [
      { source: "/:path*", headers: list(SECURITY_HEADERS) },
      { source: "/api/:path*", headers: list(API_HEADERS) },
    ];
  },
};

export default nextConfig;
