import { useState } from "preact/hooks";
import { ApiError, api } from "../../api";
import { fmtNumber, t } from "../../i18n";
import { downloadText, importErrorsCsv } from "../../lib/csv";
import type { ScreenProps } from "../../screens";
import type { ImportResult, RowError } from "../../types";
import { Check, Select } from "../../ui/forms";
import { errorText, Notice } from "../../ui/States";
import { ColumnHeads, TableBox } from "../../ui/Table";

type Kind = "customers" | "spend";

/** Rows the server reported: in a 200's `errors` (partial) or a 422's `fields.rows`. */
export function rowErrors(outcome: ImportResult | unknown): RowError[] {
  if (outcome instanceof ApiError) {
    const rows = outcome.fields["rows"];
    return Array.isArray(rows) ? (rows as RowError[]) : [];
  }
  return (outcome as ImportResult | null)?.errors ?? [];
}

export function Imports(_props: ScreenProps) {
  const [kind, setKind] = useState<Kind>("customers");
  const [partial, setPartial] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<number | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function upload(event: Event) {
    event.preventDefault();
    setResult(null);
    setError(null);
    if (!file) {
      setError(new ApiError(422, "validation_error", t("imports.pickFile")));
      return;
    }
    setBusy(true);
    setSent(0);
    try {
      setResult(
        await api.importCsv(kind, file, file.name, partial, (s, total) =>
          setSent(total ? s / total : 1),
        ),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const errors = rowErrors(error ?? result);
  const header: [string, string, string] = [
    t("imports.col.line"),
    t("imports.col.field"),
    t("imports.col.message"),
  ];
  return (
    <section data-testid="imports">
      <h1>{t("imports.title")}</h1>
      <form class="cn-panel cn-form" onSubmit={upload} noValidate data-testid="import-form">
        <p class="cn-muted">{t("imports.hint")}</p>
        <Select
          label={t("imports.kind")}
          name="kind"
          value={kind}
          onValue={(v) => setKind(v as Kind)}
          options={[
            { value: "customers", label: t("imports.kind.customers") },
            { value: "spend", label: t("imports.kind.spend") },
          ]}
        />
        <div class="cn-field">
          <label for="import-file">{t("imports.file")}</label>
          <input
            id="import-file"
            name="file"
            type="file"
            accept=".csv,text/csv"
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          />
        </div>
        <Check
          label={t("imports.partial")}
          name="partial"
          checked={partial}
          onChange={setPartial}
        />
        <p>
          <button type="submit" class="cn-button" disabled={busy} data-testid="import-upload">
            {t("imports.upload")}
          </button>
        </p>
        {sent !== null && (
          <div class="cn-job" data-testid="upload-progress">
            <label>
              <span>{t("imports.progress")}</span>
              <progress max={100} value={Math.round(sent * 100)} />
            </label>
            {busy && (
              <p role="status" class="cn-muted">
                {sent < 1
                  ? t("imports.uploading", { pct: Math.round(sent * 100) })
                  : t("imports.processing")}
              </p>
            )}
          </div>
        )}
      </form>
      {result && (
        <Notice kind="ok">
          <span data-testid="import-result">
            {t("imports.result", {
              created: fmtNumber(result.created),
              updated: fmtNumber(result.updated),
              unchanged: fmtNumber(result.unchanged),
              skipped: fmtNumber(result.skipped),
            })}
          </span>
        </Notice>
      )}
      {error !== null && (
        <Notice kind="error">{t("imports.rejected", { message: errorText(error) })}</Notice>
      )}
      {errors.length > 0 && (
        <section aria-labelledby="errors-title" data-testid="import-errors">
          <h2 id="errors-title">{t("imports.errors", { count: fmtNumber(errors.length) })}</h2>
          <p>
            <button
              type="button"
              class="cn-button cn-secondary"
              data-testid="errors-download"
              onClick={() =>
                downloadText(
                  importErrorsCsv(errors, header),
                  `${file?.name.replace(/\.csv$/i, "") ?? kind}-errors.csv`,
                )
              }
            >
              {t("imports.download")}
            </button>
          </p>
          <TableBox
            caption={t("imports.errors", { count: errors.length })}
            testid="import-error-table"
          >
            <ColumnHeads columns={header} />
            <tbody>
              {[...errors]
                .sort((a, b) => a.line - b.line)
                .map((e, i) => (
                  <tr key={i} data-testid="import-error" data-line={e.line}>
                    <td class="cn-num">{e.line}</td>
                    <td>{e.field}</td>
                    <td>{e.message}</td>
                  </tr>
                ))}
            </tbody>
          </TableBox>
        </section>
      )}
    </section>
  );
}
