import { useState } from "preact/hooks";
import { api } from "../api";
import { fmtDateTime, hasMessage, t } from "../i18n";
import { href } from "../router";
import type { ScreenProps } from "../screens";
import type { AccessEntry, CustomerDetail, SessionUser } from "../types";
import { Dialog } from "../ui/Dialog";
import { TextInput, useForm, WriteError } from "../ui/forms";
import { useResource } from "../ui/resource";
import { Async, Notice } from "../ui/States";
import { ColumnHeads, TableBox } from "../ui/Table";

/**
 * One customer as a lead or an admin sees them: personal details masked by the server
 * (docs/security.md), a reveal on the record, and for admins the personal-data export,
 * the erasure (the customer number typed to confirm) and the access log.
 */
export function Customer({ route, user }: ScreenProps) {
  const id = route.params["id"]!;
  const [revealed, setRevealed] = useState<CustomerDetail | null>(null);
  const customer = useResource(() => api.customer(id), [id]);
  return (
    <section data-testid="customer">
      <p>
        <a href={href("assign")}>{t("customer.back")}</a>
      </p>
      <Async resource={customer}>
        {(shown) => (
          <Profile
            customer={revealed ?? shown}
            user={user}
            onRevealed={setRevealed}
            onErased={() => {
              setRevealed(null);
              customer.reload();
            }}
          />
        )}
      </Async>
      {customer.state === "error" && <h1 class="cn-sr">{t("console.notFound.title")}</h1>}
    </section>
  );
}

function Profile({
  customer: c,
  user,
  onRevealed,
  onErased,
}: {
  customer: CustomerDetail;
  user: SessionUser;
  onRevealed: (c: CustomerDetail) => void;
  onErased: () => void;
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const word = (prefix: string, code: string) => {
    const key = `${prefix}.${code}`;
    return hasMessage(key) ? t(key) : code;
  };

  async function reveal() {
    setBusy(true);
    setError(null);
    try {
      onRevealed(await api.revealCustomer(c.id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const rows: [string, string | null][] = [
    [t("customer.number"), c.external_no],
    [t("customer.tier"), word("tier", c.tier.code)],
    [t("customer.stage"), word("stage", c.stage)],
    [t("customer.manager"), c.manager?.display_name ?? t("customer.pool")],
    [t("customer.phone"), c.phone],
    [t("customer.phone2"), c.phone2],
    [t("customer.email"), c.email],
    [
      t("customer.birthday"),
      c.birthday && (c.birthday_lunar ? `${c.birthday} ${t("customer.lunar")}` : c.birthday),
    ],
    [t("customer.address"), c.address ?? null],
    [t("customer.employer"), c.employer],
    [t("customer.plan"), c.plan_name],
  ];
  return (
    <>
      <h1>{t("customer.title", { name: c.name })}</h1>
      {c.erased_at && (
        <Notice kind="ok">{t("customer.erased", { at: fmtDateTime(c.erased_at) })}</Notice>
      )}
      <section class="cn-panel" data-testid="customer-profile" data-masked={String(c.masked)}>
        <p class="cn-muted" data-testid="masked-note">
          {c.masked ? t("customer.masked") : t("customer.revealed")}
        </p>
        <dl class="cn-kv">
          {rows.map(([label, value]) => (
            <div key={label} style={{ display: "contents" }}>
              <dt>{label}</dt>
              <dd>{value ?? "–"}</dd>
            </div>
          ))}
        </dl>
        {c.masked && !c.erased_at && (
          <p>
            <button
              type="button"
              class="cn-button cn-secondary"
              data-testid="reveal"
              disabled={busy}
              onClick={() => void reveal()}
            >
              {t("customer.reveal")}
            </button>
          </p>
        )}
        <WriteError error={error} />
      </section>
      {c.contacts.length > 0 && (
        <TableBox caption={t("customer.contacts")} testid="customer-contacts">
          <ColumnHeads
            columns={[
              t("customer.contact.name"),
              t("customer.contact.title"),
              t("customer.phone"),
              t("customer.birthday"),
            ]}
          />
          <tbody>
            {c.contacts.map((p) => (
              <tr key={p.id}>
                <th scope="row">{p.name}</th>
                <td>{p.title ?? ""}</td>
                <td>{p.phone ?? ""}</td>
                <td>{p.birthday ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </TableBox>
      )}
      {user.role === "admin" && <AdminPanel customer={c} onErased={onErased} />}
    </>
  );
}

function AdminPanel({ customer: c, onErased }: { customer: CustomerDetail; onErased: () => void }) {
  const [exported, setExported] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [erasing, setErasing] = useState(false);
  const [erased, setErased] = useState(false);
  const log = useResource(
    () => api.accessLog({ customer_id: c.id, per_page: 50 }),
    [c.id, c.version],
  );
  const users = useResource(() => api.users(), []);

  async function exportAll() {
    setError(null);
    try {
      const data = await api.personalData(c.id);
      const file = `customer-${c.external_no}.json`;
      const url = URL.createObjectURL(
        new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }),
      );
      const link = document.createElement("a");
      link.href = url;
      link.download = file;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      setExported(file);
      log.reload();
    } catch (err) {
      setError(err);
    }
  }

  const names = new Map((users.data ?? []).map((u) => [u.id, u.display_name]));
  return (
    <section class="cn-panel" aria-labelledby="admin-title" data-testid="personal-data">
      <h2 id="admin-title">{t("customer.admin")}</h2>
      <div class="cn-actions">
        <button
          type="button"
          class="cn-button cn-secondary"
          data-testid="export-personal-data"
          onClick={() => void exportAll()}
        >
          {t("customer.export")}
        </button>
        {!c.erased_at && (
          <button
            type="button"
            class="cn-button cn-danger"
            data-testid="erase"
            onClick={() => setErasing(true)}
          >
            {t("customer.erase")}
          </button>
        )}
      </div>
      {exported && <Notice kind="ok">{t("customer.exported", { file: exported })}</Notice>}
      {erased && <Notice kind="ok">{t("customer.erase.done")}</Notice>}
      <WriteError error={error} />
      {erasing && (
        <Erase
          customer={c}
          onClose={() => setErasing(false)}
          onErased={() => {
            setErasing(false);
            setErased(true);
            onErased();
          }}
        />
      )}
      <h3>{t("customer.access")}</h3>
      <Async resource={log}>
        {(page) =>
          page.items.length === 0 ? (
            <p class="cn-muted">{t("customer.access.none")}</p>
          ) : (
            <AccessTable entries={page.items} names={names} />
          )
        }
      </Async>
    </section>
  );
}

function AccessTable({ entries, names }: { entries: AccessEntry[]; names: Map<string, string> }) {
  return (
    <TableBox caption={t("customer.access")} testid="access-log">
      <ColumnHeads
        columns={[
          t("customer.access.at"),
          t("customer.access.user"),
          t("customer.access.kind"),
          t("customer.access.fields"),
        ]}
      />
      <tbody>
        {entries.map((e) => (
          <tr key={e.id} data-kind={e.kind}>
            <td>{fmtDateTime(e.at)}</td>
            <td>{names.get(e.user_id) ?? e.user_id}</td>
            <td>{t(`access.${e.kind}`)}</td>
            <td>{e.fields.join(", ")}</td>
          </tr>
        ))}
      </tbody>
    </TableBox>
  );
}

function Erase({
  customer: c,
  onClose,
  onErased,
}: {
  customer: CustomerDetail;
  onClose: () => void;
  onErased: () => void;
}) {
  const form = useForm({ confirm: "" });
  const typed = form.values.confirm.trim() === c.external_no;
  return (
    <Dialog
      title={t("customer.erase.title", { name: c.name })}
      titleId="erase-title"
      testid="erase-dialog"
      onClose={onClose}
    >
      <p>{t("customer.erase.explain")}</p>
      <form
        class="cn-form"
        onSubmit={form.submit(async () => {
          await api.eraseCustomer(c.id, form.values.confirm.trim());
          onErased();
        })}
      >
        <TextInput
          label={t("customer.erase.confirm", { number: c.external_no })}
          autocomplete="off"
          testid="erase-confirm"
          {...form.field("confirm")}
        />
        <WriteError error={form.error} fields={["confirm"]} />
        <button
          type="submit"
          class="cn-button cn-danger"
          data-testid="erase-submit"
          disabled={!typed || form.busy}
        >
          {t("customer.erase.submit")}
        </button>
      </form>
    </Dialog>
  );
}
