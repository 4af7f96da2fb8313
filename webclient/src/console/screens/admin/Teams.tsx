import { useState } from "preact/hooks";
import { api } from "../../api";
import { fmtNumber, t } from "../../i18n";
import type { ScreenProps } from "../../screens";
import type { TeamSummary } from "../../types";
import { fieldError, TextInput, WriteError } from "../../ui/forms";
import { useResource } from "../../ui/resource";
import { Async, Notice } from "../../ui/States";
import { ColumnHeads, TableBox } from "../../ui/Table";

export function Teams(_props: ScreenProps) {
  const teams = useResource(() => api.teams(), []);
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);

  async function act(action: () => Promise<unknown>, done?: string) {
    setError(null);
    setNote(null);
    try {
      await action();
      if (done) setNote(done);
      teams.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section data-testid="teams">
      <h1>{t("teams.title")}</h1>
      <form
        class="cn-panel cn-toolbar"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            await api.createTeam(name);
            setName("");
          }, t("console.saved"));
        }}
      >
        <TextInput
          label={t("teams.new")}
          name="name"
          value={name}
          onValue={setName}
          error={fieldError(error, "name")}
        />
        <button type="submit" class="cn-button">
          {t("console.create")}
        </button>
      </form>
      {note && <Notice kind="ok">{note}</Notice>}
      <WriteError error={error} />
      <p class="cn-muted">{t("teams.deleteHint")}</p>
      <Async resource={teams}>
        {(list) => (
          <TableBox caption={t("teams.title")} testid="team-table">
            <ColumnHeads
              columns={[
                t("teams.name"),
                t("teams.lead"),
                { numeric: t("teams.members") },
                t("console.actions"),
              ]}
            />
            <tbody>
              {list.map((team) => (
                <TeamRow key={team.id} team={team} act={act} />
              ))}
            </tbody>
          </TableBox>
        )}
      </Async>
    </section>
  );
}

function TeamRow({
  team,
  act,
}: {
  team: TeamSummary;
  act: (action: () => Promise<unknown>, done?: string) => Promise<void>;
}) {
  const [name, setName] = useState(team.name);
  return (
    <tr>
      <th scope="row">
        <input
          aria-label={t("teams.renameLabel", { name: team.name })}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </th>
      <td>{team.lead?.display_name ?? "–"}</td>
      <td class="cn-num">{fmtNumber(team.member_count)}</td>
      <td class="cn-actions">
        <button
          type="button"
          class="cn-button cn-secondary cn-small"
          disabled={name.trim() === team.name}
          onClick={() => void act(() => api.renameTeam(team.id, name), t("console.saved"))}
        >
          {t("teams.rename")}
        </button>
        <button
          type="button"
          class="cn-button cn-secondary cn-small"
          disabled={team.member_count > 0}
          aria-label={t("teams.delete", { name: team.name })}
          onClick={() => void act(() => api.deleteTeam(team.id), t("teams.deleted"))}
        >
          {t("console.delete")}
        </button>
      </td>
    </tr>
  );
}
