/**
 * The HTTP side of the sync protocol (docs/sync.md): the only module that calls
 * `fetch`. Cookies ride along (same origin); writes carry the session's CSRF token.
 */
import type { EntityName, MyNumbers, PushResult } from "../db";
import type { Mutation, MutationName } from "../mutations";

export interface PullChange {
  entity: EntityName;
  op: "upsert" | "delete";
  id: string;
  row?: Record<string, unknown>;
  cascade?: boolean;
}

export interface PullPage {
  changes: PullChange[];
  cursor: string;
  has_more: boolean;
  last_acknowledged_seq: number;
  server_time: string;
}

interface PushFields {
  id: string;
  seq: number;
  base_version: number | null;
  client_time: string;
}

/** One change as a push sends it: `name` and `args` as `MutationArgs` pairs them. */
export type PushMutation<K extends MutationName = MutationName> = PushFields & Mutation<K>;

export interface PushBody {
  device_id: string;
  schema_version: number;
  mutations: PushMutation[];
}

export interface PushAnswer {
  results: PushResult[];
  last_acknowledged_seq: number;
}

/**
 * A non-2xx answer, with the server's error code (`{"error": {"code", "message"}}`)
 * and the rest of that error object (`fields`, `locked_until`, `retry_after`...).
 */
export class SyncHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "SyncHttpError";
  }
}

/** The signed-in user as GET /auth/me and POST /auth/login describe them. */
export interface SessionUser {
  id: string;
  username: string;
  display_name: string;
  role: "manager" | "lead" | "admin";
  team: { id: string; name: string } | null;
  phone: string | null;
}

export interface SessionAnswer {
  user: SessionUser;
  csrf_token: string;
  remember: boolean;
  expires_at: string | null;
}

/** Sign-in and sign-out (POST /auth/login, GET /auth/me, POST /auth/logout). */
export interface AuthApi {
  login(username: string, password: string, remember: boolean): Promise<SessionAnswer>;
  me(): Promise<SessionAnswer>;
  logout(csrfToken: string | null): Promise<void>;
}

/** The signed-in user's own password change (POST /auth/password). */
export interface PasswordApi {
  changePassword(
    currentPassword: string,
    newPassword: string,
    csrfToken: string | null,
  ): Promise<void>;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface SyncApi {
  pull(params: {
    device_id: string;
    cursor?: string;
    limit: number;
    schema_version: number;
  }): Promise<PullPage>;
  push(body: PushBody, csrfToken: string | null): Promise<PushAnswer>;
  /** The session's CSRF token again (GET /auth/me), after a `csrf_failed`. */
  csrfToken(): Promise<string>;
  /** The signed-in user's own figures, scores and trend (GET /reviews/me). */
  myNumbers(): Promise<MyNumbers>;
}

/** The photo uploads (sync/photos.ts): apart, so a stand-in SyncApi need not have them. */
export interface PhotoApi {
  /** Send a photo under its id (PUT /visits/{visit}/photos/{id}); the same id again stores nothing. */
  uploadPhoto(
    visitId: string,
    photoId: string,
    body: Blob,
    csrfToken: string | null,
  ): Promise<ServerPhoto>;
  /** A visit's photos on the server (GET /visits/{visit}/photos): fetched when shown. */
  visitPhotos(visitId: string): Promise<{ items: ServerPhoto[] }>;
}

/** A photo as the server describes it (server/photos/schemas.py). */
export interface ServerPhoto {
  id: string;
  visit_id: string;
  width: number;
  height: number;
  created_at: string;
  url: string;
  thumbnail_url: string;
}

export class HttpSyncApi implements SyncApi, PhotoApi, AuthApi, PasswordApi {
  constructor(
    private readonly fetchFn: FetchLike = (input, init) => fetch(input, init),
    private readonly base = "/api/v1",
  ) {}

  pull(params: { device_id: string; cursor?: string; limit: number; schema_version: number }) {
    const query = new URLSearchParams({
      device_id: params.device_id,
      limit: String(params.limit),
      schema_version: String(params.schema_version),
    });
    if (params.cursor !== undefined) query.set("cursor", params.cursor);
    return this.request<PullPage>(`/sync/pull?${query}`, { method: "GET" });
  }

  push(body: PushBody, csrfToken: string | null) {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
    return this.request<PushAnswer>("/sync/push", {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
  }

  async csrfToken() {
    const me = await this.request<{ csrf_token: string }>("/auth/me", { method: "GET" });
    return me.csrf_token;
  }

  myNumbers() {
    return this.request<MyNumbers>("/reviews/me", { method: "GET" });
  }

  uploadPhoto(visitId: string, photoId: string, body: Blob, csrfToken: string | null) {
    const headers: Record<string, string> = { "Content-Type": body.type || "image/jpeg" };
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
    return this.request<ServerPhoto>(`/visits/${visitId}/photos/${photoId}`, {
      method: "PUT",
      headers,
      body,
    });
  }

  visitPhotos(visitId: string) {
    return this.request<{ items: ServerPhoto[] }>(`/visits/${visitId}/photos`, { method: "GET" });
  }

  login(username: string, password: string, remember: boolean) {
    return this.request<SessionAnswer>("/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password, remember }),
    });
  }

  me() {
    return this.request<SessionAnswer>("/auth/me", { method: "GET" });
  }

  async logout(csrfToken: string | null) {
    const headers: Record<string, string> = {};
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
    await this.request<null>("/auth/logout", { method: "POST", headers });
  }

  async changePassword(currentPassword: string, newPassword: string, csrfToken: string | null) {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
    await this.request<null>("/auth/password", {
      method: "POST",
      headers,
      body: JSON.stringify({ current_password: currentPassword, new_password: newPassword }),
    });
  }

  private async request<T>(path: string, init: RequestInit): Promise<T> {
    const response = await this.fetchFn(`${this.base}${path}`, {
      ...init,
      credentials: "same-origin",
      headers: { Accept: "application/json", ...(init.headers as Record<string, string>) },
    });
    if (!response.ok) {
      let code: string | null = null;
      let message = `HTTP ${response.status}`;
      let details: Record<string, unknown> = {};
      try {
        const body = (await response.json()) as {
          error?: { code?: string; message?: string } & Record<string, unknown>;
        };
        code = body.error?.code ?? null;
        message = body.error?.message ?? message;
        details = body.error ?? {};
      } catch {
        // Not our JSON (a proxy's error page): the status says enough.
      }
      throw new SyncHttpError(response.status, code, message, details);
    }
    // 204 No Content (logout) has no body to parse.
    return (response.status === 204 ? null : await response.json()) as T;
  }
}
