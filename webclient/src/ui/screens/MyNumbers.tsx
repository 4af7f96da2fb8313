/**
 * "My numbers" (我的指标): this period's weighted score next to the last one's, the
 * trend of the last 6 months, and every indicator in both periods. Read from the copy
 * the last sync fetched (data/queries.ts `myNumbers`), so it answers offline too.
 */
import { answerCount, myNumbers, type IndicatorLine, type MyNumbersView } from "../../data";
import type { IndicatorFigure, ReviewPeriodRef } from "../../db";
import { fmtFigure, fmtScore, indicatorName } from "../../figures";
import { fmtDate, fmtDateTime, fmtNumber, locale, t, useLocale } from "../../i18n";
import { fmtMonth } from "../components/format";
import { Sparkline } from "../components/Sparkline";
import { useLive } from "../components/useLive";
import { href } from "../router";
import type { ScreenProps } from "./types";
import "./numbers.css";

/** "Dec 2026" for a calendar month, a configured period's own name, or its dates. */
function periodName(period: ReviewPeriodRef): string {
  if (period.id === null && /^\d{4}-\d{2}$/.test(period.name)) return fmtMonth(period.name);
  if (period.id !== null && period.name) return period.name;
  return t("numbers.periodRange", { from: fmtDate(period.starts_on), to: fmtDate(period.ends_on) });
}

export function MyNumbers(_props: ScreenProps) {
  useLocale();
  const live = useLive(myNumbers, []);
  const view = live.value ?? null;
  return (
    <section
      class="fb-screen"
      aria-labelledby="numbers-title"
      aria-busy={live.ready ? undefined : "true"}
      data-testid="numbers-screen"
    >
      <a class="fb-back" href={href("settings")}>
        {t("numbers.back")}
      </a>
      <h1 id="numbers-title">{t("numbers.title")}</h1>
      {!live.ready ? (
        <p class="fb-empty">{t("numbers.loading")}</p>
      ) : view === null ? (
        <p class="fb-empty" data-testid="numbers-none">
          {t("numbers.none")}
        </p>
      ) : (
        <Numbers view={view} />
      )}
    </section>
  );
}

function Numbers({ view }: { view: MyNumbersView }) {
  const { current, previous } = view;
  return (
    <>
      <p class="fb-meta" data-testid="numbers-as-of">
        {t("numbers.asOf", { time: fmtDateTime(view.fetchedAt) })}
      </p>

      <section class="fb-score-card" aria-labelledby="numbers-score-title">
        <h2 id="numbers-score-title">{t("numbers.score")}</h2>
        <dl class="fb-score-pair">
          <div>
            <dt>
              {t("numbers.periodOf", {
                label: t("numbers.thisPeriod"),
                period: periodName(current.period),
              })}
            </dt>
            <dd class="fb-score-now">
              <ScoreValue score={current.score} testid="numbers-score" />
            </dd>
          </div>
          <div>
            <dt>
              {t("numbers.periodOf", {
                label: t("numbers.lastPeriod"),
                period: periodName(previous.period),
              })}
            </dt>
            <dd class="fb-score-before">
              <ScoreValue score={previous.score} testid="numbers-previous-score" />
            </dd>
          </div>
        </dl>
        {view.rank && (
          <p class="fb-score-rank" data-testid="numbers-rank">
            {t("numbers.rank", { rank: view.rank.rank, size: view.rank.teamSize })}
          </p>
        )}
      </section>

      <Trend trend={view.trend} />

      <section class="fb-group" aria-labelledby="numbers-weighted-title">
        <h2 id="numbers-weighted-title">{t("numbers.weighted")}</h2>
        <p class="fb-hint">{t("numbers.weightedHint")}</p>
        <Indicators lines={view.weighted} scored />
      </section>

      {view.monitored.length > 0 && (
        <section class="fb-group" aria-labelledby="numbers-monitored-title">
          <h2 id="numbers-monitored-title">{t("numbers.monitored")}</h2>
          <Indicators lines={view.monitored} scored={false} />
        </section>
      )}
    </>
  );
}

function ScoreValue({ score, testid }: { score: number | null; testid: string }) {
  return (
    <span data-testid={testid} data-value={score === null ? "" : String(score)}>
      {score === null ? (
        <span class="fb-nodata">{t("numbers.noData")}</span>
      ) : (
        <>
          <span class="fb-score-figure">{fmtScore(score)}</span>{" "}
          <span class="fb-score-of">{t("numbers.outOf")}</span>
        </>
      )}
    </span>
  );
}

function Trend({ trend }: { trend: MyNumbersView["trend"] }) {
  const months = trend.map((point) => point.month);
  const label = t("numbers.trendLabel", {
    months: trend
      .map((point) =>
        t("numbers.trendMonth", {
          month: fmtMonth(point.month),
          score: fmtScore(point.score),
        }),
      )
      .join(locale() === "zh-CN" ? "；" : "; "),
  });
  const hasScore = trend.some((point) => point.score !== null);
  return (
    <section class="fb-group" aria-labelledby="numbers-trend-title" data-testid="numbers-trend">
      <h2 id="numbers-trend-title">{t("numbers.trend")}</h2>
      {hasScore ? (
        <div class="fb-trend">
          <Sparkline
            months={months}
            values={trend.map((point) => point.score)}
            label={label}
            floor={0}
            ceiling={100}
            dots
            width={280}
            height={56}
          />
          <p class="fb-trend-range" aria-hidden="true">
            <span>{fmtMonth(months[0]!)}</span>
            <span>{fmtMonth(months[months.length - 1]!)}</span>
          </p>
        </div>
      ) : (
        <p class="fb-empty">{t("numbers.trendNone")}</p>
      )}
    </section>
  );
}

function Indicators({ lines, scored }: { lines: IndicatorLine[]; scored: boolean }) {
  return (
    <ul class="fb-indicators">
      {lines.map((line) => (
        <li
          key={line.code}
          class="fb-indicator"
          data-testid="indicator"
          data-code={line.code}
          data-weighted={scored ? "true" : "false"}
        >
          <h3>{indicatorName(line.code)}</h3>
          <dl class="fb-indicator-figures">
            <div>
              <dt>{t("numbers.thisPeriod")}</dt>
              <FigureValue figure={line.current} testid="indicator-current" />
            </div>
            <div>
              <dt>{t("numbers.lastPeriod")}</dt>
              <FigureValue figure={line.previous} testid="indicator-previous" />
            </div>
            {scored && (
              <div>
                <dt>{t("numbers.points")}</dt>
                <dd
                  data-testid="indicator-points"
                  data-value={line.points === null ? "" : String(line.points)}
                >
                  {line.points === null ? (
                    <span class="fb-nodata">{t("numbers.noData")}</span>
                  ) : (
                    fmtScore(line.points)
                  )}
                </dd>
              </div>
            )}
          </dl>
        </li>
      ))}
    </ul>
  );
}

function FigureValue({ figure, testid }: { figure: IndicatorFigure | null; testid: string }) {
  const value = figure?.value ?? null;
  const answers = figure?.unit === "score" && value !== null ? answerCount(figure) : null;
  return (
    <dd data-testid={testid} data-value={value === null ? "" : String(value)}>
      {value === null ? <span class="fb-nodata">{t("numbers.noData")}</span> : fmtFigure(figure)}
      {answers !== null && " "}
      {answers !== null && (
        <span class="fb-answers" data-testid={`${testid}-answers`}>
          {answers === 1
            ? t("numbers.answer")
            : t("numbers.answers", { count: fmtNumber(answers) })}
        </span>
      )}
    </dd>
  );
}
