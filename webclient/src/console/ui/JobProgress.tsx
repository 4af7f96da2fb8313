import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { t } from "../i18n";
import type { Job } from "../types";
import { errorText } from "./States";

const POLL_MS = 600;

/**
 * A background job followed to its end (GET /jobs/{id}), as a progress bar; calls
 * `onDone` once with the finished job.
 */
export function JobProgress({
  job: started,
  onDone,
  label,
}: {
  job: Job;
  onDone?: (job: Job) => void;
  label?: string;
}) {
  const [job, setJob] = useState(started);
  const [problem, setProblem] = useState<unknown>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        const next = await api.job(started.id);
        if (stopped) return;
        setJob(next);
        if (next.status === "done" || next.status === "failed") {
          onDone?.(next);
          return;
        }
      } catch (err) {
        if (stopped) return;
        setProblem(err);
      }
      timer = setTimeout(poll, POLL_MS);
    };
    timer = setTimeout(poll, started.status === "done" ? 0 : POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [started.id]);

  const words =
    job.status === "failed"
      ? t("console.job.failed", { error: job.error ?? "" })
      : job.status === "done"
        ? t("console.job.done")
        : job.status === "running"
          ? t("console.job.running", { progress: job.progress })
          : t("console.job.queued");
  return (
    <div class="cn-job" data-testid="job" data-status={job.status}>
      <label>
        <span>{label ?? t("console.jobProgress")}</span>
        <progress max={100} value={job.status === "done" ? 100 : job.progress} />
      </label>
      <p role="status" class={job.status === "failed" ? "cn-error" : "cn-muted"}>
        {words}
      </p>
      {problem !== null && <p class="cn-error">{errorText(problem)}</p>}
    </div>
  );
}
