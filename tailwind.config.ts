import type { Config } from "tailwindcss";

// Tailwind 4 reads this file because src/app/globals.css names it with @config.
const config: Config = {
  content: ["./src/**/*.{ts,tsx}"],
  theme: {
    extend: {
      colors: {
        board: {
          ink: "#0f172a",
          muted: "#64748b",
          accent: "#4f46e5",
          live: "#15803d",
          warn: "#b45309",
          down: "#b91c1c",
        },
      },
      fontFamily: {
        sans: ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
      },
    },
  },
};

export default config;
