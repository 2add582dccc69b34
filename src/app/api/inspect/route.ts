import { inspect } from "@/lib/http/inspect-api";

export const dynamic = "force-dynamic";

export const GET = () => inspect();
