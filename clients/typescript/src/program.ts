// A small resident + staff program against the generated types: if the OpenAPI document
// loses a field, a required mark, a nullable object's type or an error body, this stops
// compiling under `tsc --strict` (tests/contract/test_clients.py runs it).
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/onevisit";

type Application = components["schemas"]["Application"];
type ApiError = components["schemas"]["Error"];
type FieldErrors = components["schemas"]["FieldErrors"];

const api = createClient<paths>({ baseUrl: "http://localhost:8000" });

function messages(error: FieldErrors | string[]): string[] {
  return Array.isArray(error) ? error : Object.values(error).flatMap((e) => messages(e));
}

export function describeError(error: ApiError): string {
  const fields = Object.entries(error.errors ?? {}).map(
    ([name, value]) => `${name}: ${messages(value).join("; ")}`,
  );
  return `${error.code} ${error.status}: ${error.message} [${error.request_id ?? "-"}] ${fields.join(", ")}`;
}

export function ratingOf(app: Application): number | null {
  // `rating` is a nullable object: one typed class, null until the applicant rates.
  return app.rating === null ? null : app.rating.score;
}

export async function submitAndTrack(token: string, attachmentId: string): Promise<string> {
  const headers = { Authorization: `Bearer ${token}` };
  const matters = await api.GET("/api/v1/matters", { params: { query: { limit: 5 } } });
  const matter = matters.data?.items[0];
  if (matter === undefined) throw new Error("no matter");
  const submitted = await api.POST("/api/v1/applications", {
    headers: { ...headers, "Idempotency-Key": crypto.randomUUID() },
    body: {
      matter_code: matter.code,
      form: {},
      materials: [{ key: "id_card", attachment_id: attachmentId }],
      delivery: "electronic",
    },
  });
  if (submitted.error) return describeError(submitted.error);
  const app: Application = submitted.data;
  const etag = submitted.response.headers.get("ETag") ?? `"v${app.version}"`;
  const withdrawn = await api.POST("/api/v1/applications/{application_id}/withdraw", {
    params: { path: { application_id: app.id }, header: { "If-Match": etag } },
    headers,
  });
  if (withdrawn.error) return describeError(withdrawn.error);
  const status: Application["status"] = withdrawn.data.status;
  const due: string | null = withdrawn.data.due_at;
  return `${app.tracking_no} ${status} ${due ?? "no clock"} ${ratingOf(withdrawn.data) ?? "unrated"}`;
}

export async function staffInbox(token: string): Promise<number> {
  const inbox = await api.GET("/api/v1/staff/inbox", {
    headers: { Authorization: `Bearer ${token}` },
    params: { query: { kind: "review" } },
  });
  if (inbox.error) throw new Error(describeError(inbox.error));
  return inbox.data.items.length;
}
