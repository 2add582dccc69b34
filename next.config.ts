import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // Long-lived network clients: load them from node_modules at run time instead of bundling them.
  serverExternalPackages: ["kafkajs", "ioredis"],
};

export default nextConfig;
