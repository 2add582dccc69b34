import { readiness } from "@/lib/http/ops-api";

export const dynamic = "force-dynamic";

export const GET = () => readiness();
