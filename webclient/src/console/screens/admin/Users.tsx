import { useState } from "preact/hooks";
import { api } from "../../api";
import { fmtDate, fmtDateTime, hasMessage, t } from "../../i18n";
import { filterRows } from "../../lib/table";
import type { ScreenProps } from "../../screens";
import type { AdminUser, Role, TeamSummary } from "../../types";
import { Dialog } from "../../ui/Dialog";
import { Check, fieldError, Select, TextInput, useForm, WriteError } from "../../ui/forms";
import { useTeams } from "../../ui/Pickers";
import { useResource } from "../../ui/resource";
import { Async, errorText, Notice } from "../../ui/States";
import { ColumnHeads, TableBox } from "../../ui/Table";

const ROLES: Role[] = ["manager", "lead", "admin"];

export function Users({ user }: ScreenProps) {
  const users = useResource(() => api.users(), []);
  const teams = useTeams(user);
  const [role, setRole] = useState("");
  const [text, setText] = useState("");
  const [editing, setEditing] = useState<AdminUser | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [unlocked, setUnlocked] = useState<string | null>(null);
  const [unlockError, setUnlockError] = useState<unknown>(null);
  const teamList = teams.data ?? [];

  async function unlock(u: AdminUser) {
    setUnlocked(null);
    setUnlockError(null);
    try {
      await api.unlockUser(u.id);
      setUnlocked(u.display_name);
      users.reload();
    } catch (err) {
      setUnlockError(err);
    }
  }
  return (
    <section data-testid="users">
      <h1>{t("users.title")}</h1>
      <NewUser
        teams={teamList}
        onCreated={(u) => {
          setCreated(u.display_name);
          users.reload();
        }}
      />
      {created && <Notice kind="ok">{t("users.created", { name: created })}</Notice>}
      {unlocked && <Notice kind="ok">{t("users.unlocked", { name: unlocked })}</Notice>}
      <WriteError error={unlockError} />
      <div class="cn-toolbar">
        <Select
          label={t("users.filterRole")}
          name="role_filter"
          value={role}
          onValue={setRole}
          options={[
            { value: "", label: t("console.all") },
            ...ROLES.map((r) => ({ value: r, label: t(`console.role.${r}`) })),
          ]}
        />
        <TextInput
          label={t("users.filterText")}
          name="user_filter"
          type="search"
          value={text}
          onValue={setText}
        />
      </div>
      <Async resource={users}>
        {(list) => {
          const rows = filterRows(
            list.filter((u) => !role || u.role === role),
            text,
            (u) => [u.username, u.display_name],
          );
          return (
            <TableBox caption={t("users.title")} testid="user-table">
              <ColumnHeads
                columns={[
                  t("users.username"),
                  t("users.displayName"),
                  t("users.role"),
                  t("users.team"),
                  t("users.col.status"),
                  t("users.col.created"),
                  t("console.actions"),
                ]}
              />
              <tbody>
                {rows.map((u) => (
                  <tr key={u.id} data-testid="user-row" data-username={u.username}>
                    <th scope="row">{u.username}</th>
                    <td>{u.display_name}</td>
                    <td>{t(`console.role.${u.role}`)}</td>
                    <td>{u.team?.name ?? "–"}</td>
                    <td>
                      <span class={`cn-badge${u.active ? " cn-badge-ok" : ""}`}>
                        {t(u.active ? "users.active" : "users.inactive")}
                      </span>
                      {u.locked_until && (
                        <>
                          {" "}
                          <span class="cn-badge" data-testid="user-locked">
                            {t("users.locked", { until: fmtDateTime(u.locked_until) })}
                          </span>
                        </>
                      )}
                    </td>
                    <td>{fmtDate(u.created_at)}</td>
                    <td>
                      <button
                        type="button"
                        class="cn-link"
                        aria-label={t("users.edit", { name: u.display_name })}
                        onClick={() => setEditing(u)}
                      >
                        {t("console.edit")}
                      </button>
                      {u.locked_until && (
                        <>
                          {" · "}
                          <button
                            type="button"
                            class="cn-link"
                            data-testid="unlock-user"
                            aria-label={t("users.unlockLabel", { name: u.display_name })}
                            onClick={() => void unlock(u)}
                          >
                            {t("users.unlock")}
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableBox>
          );
        }}
      </Async>
      {editing && (
        <EditUser
          key={editing.id}
          user={editing}
          teams={teamList}
          onClose={() => setEditing(null)}
          onSaved={() => users.reload()}
        />
      )}
    </section>
  );
}

function roleOptions() {
  return ROLES.map((r) => ({ value: r, label: t(`console.role.${r}`) }));
}

function teamOptions(teams: TeamSummary[]) {
  return [
    { value: "", label: t("users.noTeam") },
    ...teams.map((x) => ({ value: x.id, label: x.name })),
  ];
}

function NewUser({
  teams,
  onCreated,
}: {
  teams: TeamSummary[];
  onCreated: (u: AdminUser) => void;
}) {
  const form = useForm({
    username: "",
    display_name: "",
    role: "manager",
    password: "",
    team_id: "",
    phone: "",
  });
  const { values, field } = form;
  const submit = form.submit(async () => {
    const created = await api.createUser({
      username: values.username.trim(),
      display_name: values.display_name,
      role: values.role,
      password: values.password,
      team_id: values.team_id || null,
      ...(values.phone.trim() ? { phone: values.phone } : {}),
    });
    form.reset();
    onCreated(created);
  });

  return (
    <form
      class="cn-panel"
      onSubmit={submit}
      noValidate
      data-testid="new-user"
      aria-labelledby="new-user-title"
    >
      <h2 id="new-user-title">{t("users.new")}</h2>
      <div class="cn-form-grid">
        <TextInput label={t("users.username")} {...field("username")} autocomplete="off" />
        <TextInput label={t("users.displayName")} {...field("display_name")} />
        <Select label={t("users.role")} {...field("role")} options={roleOptions()} />
        <Select label={t("users.team")} {...field("team_id")} options={teamOptions(teams)} />
        <TextInput label={t("users.phone")} {...field("phone")} type="tel" />
        <TextInput
          label={t("users.password")}
          {...field("password")}
          type="password"
          autocomplete="new-password"
        />
      </div>
      <WriteError error={form.error} />
      <p class="cn-actions">
        <button type="submit" class="cn-button" disabled={form.busy} data-testid="create-user">
          {t("console.create")}
        </button>
      </p>
    </form>
  );
}

function EditUser({
  user,
  teams,
  onClose,
  onSaved,
}: {
  user: AdminUser;
  teams: TeamSummary[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const [form, setForm] = useState({
    display_name: user.display_name,
    role: user.role as string,
    team_id: user.team_id ?? "",
    active: user.active,
  });
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string[]>([]);
  const devices = useResource(() => api.devices(user.id), [user.id]);
  const e = (path: string) => fieldError(error, path);

  async function save(event: Event) {
    event.preventDefault();
    setError(null);
    setNote([]);
    try {
      const answer = await api.updateUser(user.id, {
        display_name: form.display_name,
        role: form.role,
        team_id: form.team_id || null,
        active: form.active,
      });
      setNote([
        t("users.saved"),
        ...answer.warnings.map((w) => {
          const key = `users.followUp.${w.code}`;
          return hasMessage(key) ? t(key, { count: w.count }) : w.code;
        }),
      ]);
      onSaved();
      devices.reload();
    } catch (err) {
      setError(err);
    }
  }

  async function reset() {
    setError(null);
    setNote([]);
    try {
      await api.resetPassword(user.id, password);
      setPassword("");
      setNote([t("users.resetDone")]);
      devices.reload();
    } catch (err) {
      setError(err);
    }
  }

  async function revoke(deviceId: string) {
    try {
      await api.revokeDevice(user.id, deviceId);
      setNote([t("users.revoked")]);
      devices.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <Dialog
      title={t("users.editTitle", { name: `${user.display_name} (${user.username})` })}
      titleId="edit-user-title"
      testid="edit-user"
      wide
      onClose={onClose}
    >
      <form onSubmit={save} noValidate class="cn-form">
        <TextInput
          label={t("users.displayName")}
          name="display_name"
          value={form.display_name}
          onValue={(v) => setForm((f) => ({ ...f, display_name: v }))}
          error={e("display_name")}
        />
        <Select
          label={t("users.role")}
          name="role"
          value={form.role}
          onValue={(v) => setForm((f) => ({ ...f, role: v }))}
          error={e("role")}
          options={roleOptions()}
        />
        <Select
          label={t("users.team")}
          name="team_id"
          value={form.team_id}
          onValue={(v) => setForm((f) => ({ ...f, team_id: v }))}
          error={e("team_id")}
          options={teamOptions(teams)}
        />
        <Check
          label={t("users.active")}
          name="active"
          checked={form.active}
          onChange={(v) => setForm((f) => ({ ...f, active: v }))}
        />
        <p class="cn-actions">
          <button type="submit" class="cn-button">
            {t("console.save")}
          </button>
        </p>
      </form>
      <h3>{t("users.reset")}</h3>
      <div class="cn-toolbar">
        <TextInput
          label={t("users.newPassword")}
          name="new_password"
          type="password"
          autocomplete="new-password"
          value={password}
          onValue={setPassword}
          error={e("password")}
        />
        <button type="button" class="cn-button cn-secondary" onClick={() => void reset()}>
          {t("users.reset")}
        </button>
      </div>
      {note.map((line, i) => (
        <Notice key={i} kind="ok">
          {line}
        </Notice>
      ))}
      <WriteError error={error} />
      <h3>{t("users.devices")}</h3>
      {devices.state === "error" ? (
        <p class="cn-muted">
          {t("users.devicesUnavailable", { message: errorText(devices.error) })}
        </p>
      ) : (
        <Async resource={devices}>
          {(list) =>
            list.length === 0 ? (
              <p class="cn-muted">{t("users.devicesNone")}</p>
            ) : (
              <TableBox caption={t("users.devices")} testid="devices">
                <ColumnHeads
                  columns={[
                    t("users.device.agent"),
                    t("users.device.created"),
                    t("users.device.lastSeen"),
                    t("users.device.expires"),
                    t("console.actions"),
                  ]}
                />
                <tbody>
                  {list.map((d) => (
                    <tr key={d.id}>
                      <td class="cn-address" title={d.user_agent ?? undefined}>
                        {d.user_agent ?? "–"}
                        {d.remember && <> · {t("users.device.remember")}</>}
                      </td>
                      <td>{fmtDateTime(d.created_at)}</td>
                      <td>{fmtDateTime(d.last_seen_at)}</td>
                      <td>{fmtDateTime(d.expires_at)}</td>
                      <td>
                        <button type="button" class="cn-link" onClick={() => void revoke(d.id)}>
                          {t("users.revoke")}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </TableBox>
            )
          }
        </Async>
      )}
    </Dialog>
  );
}
