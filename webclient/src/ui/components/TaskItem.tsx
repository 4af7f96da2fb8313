import { useState } from "preact/hooks";
import type { Task } from "../../db";
import { completeTask, updateTask } from "../../data";
import { fmtDate, t } from "../../i18n";
import { href } from "../router";
import { LIMITS } from "../../limits";
import { Field, limitError } from "./Field";
import { today } from "../../time";

/**
 * One task: its title (a link to the task), due date, a button to complete it and an
 * inline form to edit title, due date and notes. Edits go through `updateTask`, which
 * sends only what changed so the server can merge with edits made elsewhere.
 */
export function TaskItem({ task, link = true }: { task: Task; link?: boolean }) {
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState("");
  const open = task.status === "open";
  const overdue = open && task.due_date !== null && task.due_date < today();
  const unsynced = task._local === true || task._base !== undefined;

  async function complete() {
    setBusy(true);
    try {
      await completeTask(task.id);
      setMessage(t("task.completed"));
    } catch (error) {
      setMessage(String((error as Error).message));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li
      class={`fb-item fb-task${overdue ? " fb-overdue" : ""}`}
      data-testid="task-item"
      data-id={task.id}
      data-status={task.status}
    >
      <div class="fb-item-main">
        {link ? (
          <a class="fb-item-title" href={href("task", { id: task.id })}>
            {task.title}
          </a>
        ) : (
          <span class="fb-item-title">{task.title}</span>
        )}
        <span class="fb-meta">
          {task.due_date
            ? t(overdue ? "task.overdueOn" : "task.dueOn", { date: fmtDate(task.due_date) })
            : t("task.noDue")}
          {" · "}
          {t(`taskStatus.${task.status}`)}
          {unsynced && <span class="fb-pending"> · {t("card.notSynced")}</span>}
        </span>
        {task.notes && <span class="fb-meta fb-notes">{task.notes}</span>}
      </div>
      <div class="fb-item-actions">
        {open && (
          <button
            type="button"
            class="fb-button"
            data-testid="task-complete"
            disabled={busy}
            onClick={complete}
          >
            {t("task.complete")}
          </button>
        )}
        <button
          type="button"
          class="fb-button fb-secondary"
          data-testid="task-edit"
          aria-expanded={editing}
          onClick={() => setEditing(!editing)}
        >
          {t("task.edit")}
        </button>
      </div>
      {editing && (
        <TaskEditForm
          task={task}
          onDone={(saved) => {
            setEditing(false);
            if (saved) setMessage(t("task.saved"));
          }}
        />
      )}
      <p class="fb-status" role="status">
        {message}
      </p>
    </li>
  );
}

function TaskEditForm({ task, onDone }: { task: Task; onDone: (saved: boolean) => void }) {
  const [title, setTitle] = useState(task.title);
  const [due, setDue] = useState(task.due_date ?? "");
  const [notes, setNotes] = useState(task.notes ?? "");
  const [error, setError] = useState<string | null>(null);
  const [dueError, setDueError] = useState<string | null>(null);

  async function save(event: Event) {
    event.preventDefault();
    const titleError = title.trim() === "" ? t("form.required") : null;
    // A due date moved into the past would be overdue at once (the server refuses it
    // too); one already past may stay as it is.
    const pastDue = due !== "" && due !== (task.due_date ?? "") && due < today();
    setError(titleError);
    setDueError(pastDue ? t("task.errPastDue") : null);
    if (
      titleError ||
      pastDue ||
      limitError(title, LIMITS.taskTitle) ||
      limitError(notes, LIMITS.taskNotes)
    )
      return;
    await updateTask(task.id, {
      title: title.trim(),
      due_date: due || null,
      notes: notes.trim() || null,
    });
    onDone(true);
  }

  return (
    <form class="fb-form fb-inline-form" data-testid="task-edit-form" onSubmit={save} noValidate>
      <Field label={t("task.title")} error={error} limit={{ text: title, max: LIMITS.taskTitle }}>
        {(props) => (
          <input
            {...props}
            name="title"
            value={title}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label={t("task.due")} error={dueError}>
        {(props) => (
          <input
            {...props}
            type="date"
            name="due_date"
            min={today()}
            value={due}
            onInput={(e) => setDue(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label={t("task.notes")} limit={{ text: notes, max: LIMITS.taskNotes }}>
        {(props) => (
          <textarea
            {...props}
            name="notes"
            rows={3}
            value={notes}
            onInput={(e) => setNotes(e.currentTarget.value)}
          />
        )}
      </Field>
      <div class="fb-actions">
        <button type="submit" class="fb-button" data-testid="task-save">
          {t("action.save")}
        </button>
        <button type="button" class="fb-button fb-secondary" onClick={() => onDone(false)}>
          {t("action.cancel")}
        </button>
      </div>
    </form>
  );
}
