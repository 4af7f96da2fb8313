import { useState } from "preact/hooks";
import type { OutboxEntry, ResultEntry, SeqGap, SyncConflict } from "../../db";
import {
  changeSubject,
  dismissResult,
  dismissSeqGaps,
  LocalRefusal,
  resolveConflict,
  retryingChanges,
  seqGaps,
  syncResults,
  waitingChanges,
} from "../../data";
import type { MutationName } from "../../mutations";
import { fmtDateTime, fmtNumber, hasMessage, t, useLocale } from "../../i18n";
import { useLive } from "../components/useLive";
import type { ScreenProps } from "./types";

/** A stored value as the user reads it: text as is, nothing as "(empty)". */
function shown(value: unknown): string {
  if (value === null || value === undefined || value === "") return t("sync.empty");
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return t(value ? "sync.yes" : "sync.no");
  return JSON.stringify(value);
}

/** A field's name as the user reads it; one this app has no words for, as it is. */
function fieldName(field: string | null): string {
  if (!field) return "";
  const key = `sync.field.${field}`;
  return hasMessage(key) ? t(key) : field;
}

export function SyncCenter({ engine }: ScreenProps) {
  useLocale();
  const status = engine.status.value;
  const results = useLive(syncResults, []);
  const retrying = useLive(retryingChanges, []);
  const waiting = useLive(waitingChanges, []);
  const gaps = useLive(seqGaps, []);
  const [running, setRunning] = useState(false);
  const [outcome, setOutcome] = useState("");

  async function syncNow() {
    setRunning(true);
    setOutcome("");
    try {
      setOutcome(t(`sync.outcome.${await engine.syncNow()}`));
    } finally {
      setRunning(false);
    }
  }

  const items = results.value ?? [];
  return (
    <section class="fb-screen" aria-labelledby="sync-title">
      <h1 id="sync-title">{t("sync.title")}</h1>
      <dl class="fb-facts">
        <div>
          <dt>{t("sync.connection")}</dt>
          <dd>{t(status.online ? "sync.online" : "sync.offline")}</dd>
        </div>
        <div>
          <dt>{t("sync.waiting")}</dt>
          <dd>{fmtNumber(status.pending)}</dd>
        </div>
        <div>
          <dt>{t("sync.lastSync")}</dt>
          <dd>{status.lastSyncAt ? fmtDateTime(status.lastSyncAt) : t("sync.never")}</dd>
        </div>
        {status.error !== null && status.nextAttemptAt !== null && (
          <div>
            <dt>{t("sync.nextAttempt")}</dt>
            <dd>{fmtDateTime(new Date(status.nextAttemptAt).toISOString())}</dd>
          </div>
        )}
      </dl>
      {status.error && (
        <p class="fb-notice fb-notice-warn" role="status">
          {t(`sync.problem.${status.error}`)}
        </p>
      )}
      <div class="fb-actions">
        <button
          type="button"
          class="fb-button"
          data-testid="sync-now"
          disabled={running || status.syncing}
          onClick={syncNow}
        >
          {running || status.syncing ? t("sync.syncing") : t("sync.now")}
        </button>
      </div>
      <p class="fb-status" role="status">
        {outcome}
      </p>

      <Waiting entries={waiting.value ?? []} />
      <Gaps gaps={gaps.value ?? []} />
      <Retrying entries={retrying.value ?? []} />

      <section class="fb-group" aria-labelledby="sync-results-title">
        <h2 id="sync-results-title">
          {t("sync.results")} <span class="fb-count-badge">{items.length}</span>
        </h2>
        {items.length === 0 ? (
          <p class="fb-empty" data-testid="sync-no-results">
            {/* Not "every change was accepted" while some have not been sent. */}
            {t(status.pending > 0 ? "sync.noResultsYet" : "sync.noResults")}
          </p>
        ) : (
          <ul class="fb-list">
            {items.map((entry) => (
              <ResultItem key={entry.id} entry={entry} />
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}

function ResultItem({ entry }: { entry: ResultEntry }) {
  const conflicts = (entry.result.conflicts ?? []) as unknown as SyncConflict[];
  const fieldConflicts = conflicts.filter((c) => c.kind === "field");
  return (
    <li class="fb-result" data-testid="result-item" data-status={entry.status} data-id={entry.id}>
      <p class="fb-result-head">
        <strong>{t(`sync.mutation.${entry.name}`)}</strong>
        <span class={`fb-flag fb-flag-${entry.status}`}>
          {" "}
          · {t(entry.status === "conflict" ? "sync.conflict" : "sync.rejected")}
        </span>
      </p>
      <ChangeSubject name={entry.name} args={entry.args} />
      <p class="fb-meta">{t("sync.madeAt", { time: fmtDateTime(entry.client_time) })}</p>
      {entry.status === "conflict" && fieldConflicts.length > 0 ? (
        <>
          <p>{t("sync.conflictExplain")}</p>
          <ConflictChoices entry={entry} conflicts={fieldConflicts} />
        </>
      ) : (
        <>
          <p class="fb-server-message">
            {entry.code === "lost_access"
              ? t("sync.lostAccess")
              : entry.code === "mutation_failed"
                ? t("sync.failedForGood")
                : t("sync.serverSaid", { message: entry.message ?? entry.code ?? "" })}
          </p>
          <FieldErrors fields={entry.result.fields} />
          <details class="fb-details">
            <summary>{t("sync.whatYouEntered")}</summary>
            <EnteredData args={entry.args} />
          </details>
          <div class="fb-actions">
            <button
              type="button"
              class="fb-button fb-secondary"
              data-testid="result-dismiss"
              onClick={() => dismissResult(entry.id)}
            >
              {t("sync.dismiss")}
            </button>
          </div>
        </>
      )}
    </li>
  );
}

function FieldErrors({ fields }: { fields: Record<string, unknown> | undefined }) {
  const entries = Object.entries(fields ?? {});
  if (entries.length === 0) return null;
  return (
    <ul class="fb-field-errors">
      {entries.map(([name, messages]) => (
        <li key={name}>
          {fieldName(name)}: {Array.isArray(messages) ? messages.join(" ") : shown(messages)}
        </li>
      ))}
    </ul>
  );
}

/** The arguments of the refused change, so nothing the user typed is lost from sight. */
function EnteredData({ args }: { args: object }) {
  const rows = Object.entries(args).filter(([name]) => name !== "id" && name !== "base");
  const flat = rows.flatMap(([name, value]) =>
    name === "changes" && value && typeof value === "object"
      ? Object.entries(value as Record<string, unknown>)
      : [[name, value] as [string, unknown]],
  );
  return (
    <dl class="fb-entered">
      {flat.map(([name, value]) => (
        <div key={name}>
          <dt>{fieldName(name)}</dt>
          <dd>{shown(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * Each field both sides changed: the value stored now (kept) and the one this device's
 * change replaced (lost). The choice is queued like any change; once every field of
 * the result has one, the result leaves the list.
 */
function ConflictChoices({ entry, conflicts }: { entry: ResultEntry; conflicts: SyncConflict[] }) {
  const [chosen, setChosen] = useState<Record<string, "kept" | "restored">>({});
  const [error, setError] = useState("");

  async function choose(conflict: SyncConflict, choice: "kept" | "restored") {
    setError("");
    try {
      await resolveConflict(conflict.id, choice);
    } catch (err) {
      setError(err instanceof LocalRefusal ? t("sync.conflictNotHere") : String(err));
      return;
    }
    const next = { ...chosen, [conflict.id]: choice };
    setChosen(next);
    if (conflicts.every((c) => next[c.id] !== undefined)) await dismissResult(entry.id);
  }

  return (
    <>
      {conflicts.map((conflict) => (
        <div
          class="fb-conflict"
          key={conflict.id}
          role="group"
          aria-label={fieldName(conflict.field)}
        >
          <p class="fb-conflict-field">{fieldName(conflict.field)}</p>
          <dl class="fb-versions">
            <div>
              <dt>{t("sync.keptValue")}</dt>
              <dd data-testid="conflict-kept-value">{shown(conflict.kept_value)}</dd>
            </div>
            <div>
              <dt>{t("sync.lostValue")}</dt>
              <dd data-testid="conflict-lost-value">{shown(conflict.lost_value)}</dd>
            </div>
          </dl>
          <div class="fb-actions">
            <button
              type="button"
              class="fb-button"
              data-testid="conflict-choice-kept"
              aria-pressed={chosen[conflict.id] === "kept"}
              disabled={chosen[conflict.id] !== undefined}
              onClick={() => choose(conflict, "kept")}
            >
              {t("sync.chooseKept")}
            </button>
            <button
              type="button"
              class="fb-button fb-secondary"
              data-testid="conflict-choice-restored"
              aria-pressed={chosen[conflict.id] === "restored"}
              disabled={chosen[conflict.id] !== undefined}
              onClick={() => choose(conflict, "restored")}
            >
              {t("sync.chooseRestored")}
            </button>
          </div>
        </div>
      ))}
      <p class="fb-error" role="alert" hidden={!error}>
        {error}
      </p>
    </>
  );
}

/** The record and the customer a change is about, as the user knows them. */
function ChangeSubject({ name, args }: { name: MutationName; args: object }) {
  const subject = useLive(() => changeSubject(name, args), [name, args]).value;
  if (!subject || (!subject.record && !subject.customer)) return null;
  const { record, customer } = subject;
  return (
    <p class="fb-result-subject" data-testid="change-subject">
      {record && customer ? t("sync.subject", { record, customer }) : (record ?? customer)}
    </p>
  );
}

/** Changes saved on this phone that the server has not answered yet. */
function Waiting({ entries }: { entries: OutboxEntry[] }) {
  if (entries.length === 0) return null;
  return (
    <section class="fb-group" aria-labelledby="sync-waiting-title" data-testid="sync-waiting">
      <h2 id="sync-waiting-title">
        {t("sync.waitingTitle")} <span class="fb-count-badge">{fmtNumber(entries.length)}</span>
      </h2>
      <p>{t("sync.waitingExplain")}</p>
      <QueuedList entries={entries} testid="waiting-item" />
    </section>
  );
}

/** Queued changes: what each is, what about, when it was made. */
function QueuedList({ entries, testid }: { entries: OutboxEntry[]; testid: string }) {
  return (
    <ul class="fb-list">
      {entries.map((entry) => (
        <li key={entry.mutation_id} class="fb-result" data-testid={testid}>
          <p class="fb-result-head">
            <strong>{t(`sync.mutation.${entry.name}`)}</strong>
          </p>
          <ChangeSubject name={entry.name} args={entry.args} />
          <p class="fb-meta">{t("sync.madeAt", { time: fmtDateTime(entry.client_time) })}</p>
        </li>
      ))}
    </ul>
  );
}

/** Changes the server failed to apply this time: they wait on the phone for the next sync. */
function Retrying({ entries }: { entries: OutboxEntry[] }) {
  if (entries.length === 0) return null;
  const attempts = Math.max(...entries.map((entry) => entry.result?.attempts ?? 1));
  return (
    <section class="fb-group" aria-labelledby="sync-retrying-title" data-testid="sync-retrying">
      <h2 id="sync-retrying-title">
        {t("sync.retrying")} <span class="fb-count-badge">{entries.length}</span>
      </h2>
      <p>{t("sync.retryingExplain", { attempts: fmtNumber(attempts) })}</p>
      <QueuedList entries={entries} testid="retrying-item" />
    </section>
  );
}

/** Seqs this phone numbered but no longer held when the server asked for them. */
function Gaps({ gaps }: { gaps: SeqGap[] }) {
  if (gaps.length === 0) return null;
  return (
    <section class="fb-group" aria-labelledby="sync-gaps-title" data-testid="sync-gaps">
      <h2 id="sync-gaps-title">{t("sync.gapTitle")}</h2>
      {gaps.map((gap) => (
        <p key={`${gap.from}-${gap.found_at}`} class="fb-notice fb-notice-warn">
          {t("sync.gap", {
            from: fmtNumber(gap.from),
            to: fmtNumber(gap.to),
            time: fmtDateTime(gap.found_at),
          })}
        </p>
      ))}
      <div class="fb-actions">
        <button type="button" class="fb-button fb-secondary" onClick={() => dismissSeqGaps()}>
          {t("sync.dismiss")}
        </button>
      </div>
    </section>
  );
}
