import type { NextConfig } from "next";

// On every answer; pages also get a Content-Security-Policy with a nonce from src/proxy.ts.
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
];

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // Long-lived network clients: load them from node_modules at run time instead of bundling them.
  serverExternalPackages: ["kafkajs", "ioredis", "pino", "prom-client"],
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      // Answers of the API are data, never a document to render or frame.
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }] },
    ];
  },
};

export default nextConfig;
