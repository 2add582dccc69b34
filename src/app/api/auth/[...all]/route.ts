// Sign-up, sign-in, sessions and OpenID Connect: the accounts library's own routes (src/lib/accounts/auth.ts).
export { authRoute as GET, authRoute as POST } from "@/server/next-routes";
