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
          live: "#16a34a",
          warn: "#d97706",
          down: "#dc2626",
        },
      },
      fontFamily: {
        sans: ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
      },
    },
  },
};

export default config;
