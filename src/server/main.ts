// The web process: `npm run dev` (with --dev) and `npm start`. NODE_ENV is settled before Next and React
// are loaded, since both read it once.
Object.assign(process.env, { NODE_ENV: process.argv.includes("--dev") ? "development" : "production" });
await import("./web-process");
export {};
