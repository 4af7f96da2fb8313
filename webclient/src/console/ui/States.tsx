import type { ComponentChildren } from "preact";
import { ApiError } from "../api";
import { t } from "../i18n";
import type { Resource } from "./resource";

export function Loading() {
  return (
    <p class="cn-muted" aria-busy="true" data-testid="loading">
      {t("console.loading")}
    </p>
  );
}

/** 404: absent, or someone else's (the API never says which). */
export function NotFound() {
  return (
    <section class="cn-panel cn-notfound" data-testid="not-found" role="status">
      <h2>{t("console.notFound.title")}</h2>
      <p>{t("console.notFound.explain")}</p>
    </section>
  );
}

/** A problem in words: the API's message, or the status. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 409 && error.code === "version_conflict") return t("console.conflict");
    if (error.status === 403 && error.code !== "csrf_failed") return t("console.forbidden");
    if (error.status === 503 && error.code === "database_unavailable")
      return t("console.unavailable");
    return error.message;
  }
  if (error instanceof TypeError) return t("console.login.offline");
  return String(error);
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  if (error instanceof ApiError && error.notFound) return <NotFound />;
  return (
    <div class="cn-panel cn-problem" role="alert">
      <p>{t("console.error", { message: errorText(error) })}</p>
      {retry && (
        <button type="button" class="cn-button cn-secondary" onClick={retry}>
          {t("console.retry")}
        </button>
      )}
    </div>
  );
}

/** The data of a resource once it came; loading and error states in between. */
export function Async<T>({
  resource,
  children,
}: {
  resource: Resource<T>;
  children: (data: T) => ComponentChildren;
}) {
  if (resource.state === "error")
    return <ErrorState error={resource.error} retry={resource.reload} />;
  if (resource.data === null) return <Loading />;
  return <>{children(resource.data)}</>;
}

/** A short announced line after an action ("Saved.", a problem). */
export function Notice({ kind, children }: { kind: "ok" | "error"; children: ComponentChildren }) {
  return (
    <p class={`cn-notice cn-notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </p>
  );
}
