import { taskDetail } from "../../data";
import { fmtDate, fmtDateTime, t, useLocale } from "../../i18n";
import { TaskItem } from "../components/TaskItem";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href } from "../router";
import type { ScreenProps } from "./types";
import "../screens.css";

export function Task({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => taskDetail(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  const detail = live.value;
  if (detail === undefined) {
    return (
      <section class="fb-screen">
        <h1>{t("task.missingTitle")}</h1>
        <p>{t("task.missing")}</p>
        <a class="fb-button fb-secondary" href={href("today")}>
          {t("form.toToday")}
        </a>
      </section>
    );
  }
  const { task, customer } = detail;
  return (
    <article class="fb-screen" aria-labelledby="task-title">
      <a class="fb-back" href={customer ? href("customer", { id: customer.id }) : href("today")}>
        {customer ? t("form.backTo", { name: customer.name }) : t("form.toToday")}
      </a>
      <h1 id="task-title">{t("task.screenTitle")}</h1>
      <ul class="fb-list">
        <TaskItem task={task} link={false} />
      </ul>
      <dl class="fb-dl">
        {customer && (
          <div>
            <dt>{t("task.customer")}</dt>
            <dd>
              <a href={href("customer", { id: customer.id })}>{customer.name}</a>{" "}
              <TierBadge tier={customer.tier} />
            </dd>
          </div>
        )}
        <div>
          <dt>{t("task.due")}</dt>
          <dd>{task.due_date ? fmtDate(task.due_date) : t("task.noDue")}</dd>
        </div>
        <div>
          <dt>{t("task.status")}</dt>
          <dd>
            {t(`taskStatus.${task.status}`)}
            {task.completed_at ? ` · ${fmtDateTime(task.completed_at)}` : ""}
          </dd>
        </div>
        {task.source_complaint_id && (
          <div>
            <dt>{t("task.source")}</dt>
            <dd>
              <a href={href("complaint", { id: task.source_complaint_id })}>
                {t("task.fromComplaint")}
              </a>
            </dd>
          </div>
        )}
        {task.source_visit_id && (
          <div>
            <dt>{t("task.source")}</dt>
            <dd>{t("task.fromVisit")}</dd>
          </div>
        )}
        <div>
          <dt>{t("task.created")}</dt>
          <dd>{fmtDateTime(task.created_at)}</dd>
        </div>
      </dl>
    </article>
  );
}
