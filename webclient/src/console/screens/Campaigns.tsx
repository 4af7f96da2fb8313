import { api } from "../api";
import { t } from "../i18n";
import { href, setQuery } from "../router";
import type { ScreenProps } from "../screens";
import { Select } from "../ui/forms";
import { rangeText, useTeams } from "../ui/Pickers";
import { useResource } from "../ui/resource";
import { Async } from "../ui/States";
import { ColumnHeads, Pager, TableBox } from "../ui/Table";

const STATUSES = ["draft", "launched", "closed"] as const;

export function Campaigns({ route, user }: ScreenProps) {
  const status = route.query.get("status") ?? "";
  const page = Number(route.query.get("page") ?? "1");
  const list = useResource(
    () => api.campaigns({ status: status || undefined, page, per_page: 25 }),
    [status, page],
  );
  const teams = useTeams(user);
  const teamName = (id: string | null) =>
    id === null
      ? t("camp.teamAll")
      : (teams.data?.find((x) => x.id === id)?.name ?? user.team?.name ?? "");
  return (
    <section data-testid="campaigns">
      <h1>{t("camp.title")}</h1>
      <div class="cn-toolbar">
        <Select
          label={t("camp.status")}
          name="status"
          value={status}
          onValue={(value) => setQuery({ status: value, page: undefined })}
          options={[
            { value: "", label: t("console.all") },
            ...STATUSES.map((s) => ({ value: s, label: t(`camp.status.${s}`) })),
          ]}
        />
        <a class="cn-button" href={href("campaignNew")} data-testid="new-campaign">
          {t("camp.new")}
        </a>
      </div>
      <Async resource={list}>
        {(data) => (
          <>
            <TableBox caption={t("camp.title")} testid="campaign-table">
              <ColumnHeads
                columns={[
                  t("camp.col.name"),
                  t("camp.kind"),
                  t("camp.status"),
                  t("camp.col.dates"),
                  t("camp.col.team"),
                ]}
              />
              <tbody>
                {data.items.map((c) => (
                  <tr key={c.id} data-testid="campaign-row" data-status={c.status}>
                    <th scope="row">
                      <a href={href("campaign", { id: c.id })}>{c.name}</a>
                    </th>
                    <td>{t(`camp.kind.${c.kind}`)}</td>
                    <td>
                      <span class={`cn-badge${c.status === "launched" ? " cn-badge-ok" : ""}`}>
                        {t(`camp.status.${c.status}`)}
                      </span>
                    </td>
                    <td>{rangeText(c.starts_on, c.ends_on)}</td>
                    <td>{teamName(c.team_id)}</td>
                  </tr>
                ))}
                {data.items.length === 0 && (
                  <tr>
                    <td colSpan={5}>{t("camp.none")}</td>
                  </tr>
                )}
              </tbody>
            </TableBox>
            <Pager
              page={data.page}
              pages={data.pages}
              total={data.total}
              onPage={(n) => setQuery({ page: n })}
            />
          </>
        )}
      </Async>
    </section>
  );
}
