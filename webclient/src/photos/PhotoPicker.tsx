/**
 * Taking photos of a visit, and showing them (docs/photos.md). In a chunk of its own,
 * loaded when a visit form or a visit list opens (ui/components/LazyPhotos.tsx): the
 * phone's first load does not carry it.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { addPhotos, compressPhoto, MAX_PHOTOS, visitPhotos, type Compressed } from "../data/photos";
import type { PhotoRow, Visit } from "../db";
import { t, useLocale } from "../i18n";
import { serverPhotos } from "../sync/photos";
import type { ServerPhoto } from "../sync/api";
import { useLive } from "../ui/components/useLive";
import "./photos.css";

// The visit form keeps its photos with this, inside `logVisit`'s transaction.
export { keepWithVisit } from "../data/photos";

/** Object URLs for thumbnails kept as bytes, revoked when they change or unmount. */
function useThumbUrls(thumbs: ArrayBuffer[]): string[] {
  const urls = useMemo(
    () => thumbs.map((thumb) => URL.createObjectURL(new Blob([thumb], { type: "image/jpeg" }))),
    [thumbs],
  );
  useEffect(() => () => urls.forEach((url) => URL.revokeObjectURL(url)), [urls]);
  return urls;
}

/** Compress what the user picked; reports the files that are no photo. */
async function prepare(
  files: File[],
  room: number,
): Promise<{ photos: Compressed[]; problem: string | null }> {
  const photos: Compressed[] = [];
  let problem: string | null = null;
  for (const file of files) {
    if (photos.length >= room) {
      problem = t("photos.tooMany", { max: MAX_PHOTOS });
      break;
    }
    try {
      photos.push(await compressPhoto(file));
    } catch {
      problem = t("photos.notAnImage", { name: file.name });
    }
  }
  return { photos, problem };
}

function AddButton({
  busy,
  disabled,
  onFiles,
}: {
  busy: boolean;
  disabled: boolean;
  onFiles: (files: File[]) => void;
}) {
  return (
    <label class="fb-button fb-secondary fb-photo-add">
      {busy ? t("photos.preparing") : t("photos.add")}
      <input
        class="fb-visually-hidden"
        type="file"
        accept="image/*"
        capture="environment"
        multiple
        disabled={busy || disabled}
        data-testid="photo-input"
        onChange={(event) => {
          const input = event.currentTarget;
          const files = Array.from(input.files ?? []);
          input.value = ""; // the same photo may be picked again
          if (files.length > 0) onFiles(files);
        }}
      />
    </label>
  );
}

/** The visit form's photos: compressed when picked, kept with the visit when it is saved. */
export function PhotoPicker({
  photos,
  onChange,
}: {
  photos: Compressed[];
  onChange: (photos: Compressed[]) => void;
}) {
  useLocale();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const urls = useThumbUrls(useMemo(() => photos.map((p) => p.thumb), [photos]));

  async function pick(files: File[]) {
    setBusy(true);
    const prepared = await prepare(files, MAX_PHOTOS - photos.length);
    setProblem(prepared.problem);
    onChange([...photos, ...prepared.photos]);
    setBusy(false);
  }

  return (
    <fieldset class="fb-photos" data-testid="visit-photos">
      <legend>{t("photos.title")}</legend>
      <p class="fb-hint">{t("photos.hint")}</p>
      {photos.length > 0 && (
        <ul class="fb-thumbs">
          {photos.map((photo, i) => (
            <li key={photo.id} class="fb-thumb" data-testid="photo-thumb">
              <img src={urls[i]} alt={t("photos.photo", { n: i + 1 })} />
              <button
                type="button"
                class="fb-thumb-remove"
                aria-label={t("photos.remove", { n: i + 1 })}
                onClick={() => onChange(photos.filter((p) => p.id !== photo.id))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <AddButton busy={busy} disabled={photos.length >= MAX_PHOTOS} onFiles={pick} />
      <p class="fb-status" role="status">
        {problem}
      </p>
    </fieldset>
  );
}

function StoredThumbs({ photos }: { photos: PhotoRow[] }) {
  const urls = useThumbUrls(useMemo(() => photos.map((p) => p.thumb), [photos]));
  return (
    <ul class="fb-thumbs">
      {photos.map((photo, i) => (
        <li key={photo.id} class="fb-thumb" data-testid="photo-thumb" data-status={photo.status}>
          <img src={urls[i]} alt={t("photos.photo", { n: i + 1 })} />
          {photo.status === "waiting" && <span>{t("photos.waiting")}</span>}
          {photo.status === "refused" && <span class="fb-error">{t("photos.refused")}</span>}
        </li>
      ))}
    </ul>
  );
}

type Remote =
  | { state: "idle" }
  | { state: "loading" }
  | { state: "failed"; offline: boolean }
  | { state: "loaded"; photos: ServerPhoto[] };

/**
 * A logged visit's photos: those kept on this device (offline too), more added, and on
 * request those on the server (taken on another device), fetched when online.
 */
export function VisitPhotos({ visit }: { visit: Visit }) {
  useLocale();
  const live = useLive(() => visitPhotos(visit.id), [visit.id]);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [remote, setRemote] = useState<Remote>({ state: "idle" });
  const local = live.value ?? [];

  async function pick(files: File[]) {
    setBusy(true);
    const prepared = await prepare(files, MAX_PHOTOS - local.length);
    setProblem(prepared.problem);
    if (prepared.photos.length > 0) await addPhotos(visit.id, visit.customer_id, prepared.photos);
    setBusy(false);
  }

  async function showServer() {
    setRemote({ state: "loading" });
    try {
      setRemote({ state: "loaded", photos: await serverPhotos(visit.id) });
    } catch (err) {
      setRemote({ state: "failed", offline: err instanceof TypeError });
    }
  }

  const held = new Set(local.map((p) => p.id));
  const others = remote.state === "loaded" ? remote.photos.filter((p) => !held.has(p.id)) : [];
  return (
    <div class="fb-photos" data-testid="visit-photos">
      {local.length > 0 && <StoredThumbs photos={local} />}
      {others.length > 0 && (
        <ul class="fb-thumbs">
          {others.map((photo, i) => (
            <li key={photo.id} class="fb-thumb" data-testid="server-photo">
              <a href={photo.url} target="_blank" rel="noopener">
                <img
                  src={photo.thumbnail_url}
                  alt={t("photos.photo", { n: local.length + i + 1 })}
                />
              </a>
            </li>
          ))}
        </ul>
      )}
      <AddButton busy={busy} disabled={local.length >= MAX_PHOTOS} onFiles={pick} />
      {!visit._local && remote.state === "idle" && (
        <button type="button" class="fb-link-button" onClick={showServer}>
          {t("photos.showServer")}
        </button>
      )}
      {remote.state === "loading" && <p class="fb-meta">{t("photos.loading")}</p>}
      {remote.state === "failed" && (
        <p class="fb-meta">{remote.offline ? t("photos.offline") : t("photos.loadFailed")}</p>
      )}
      {remote.state === "loaded" && others.length === 0 && (
        <p class="fb-meta">{t("photos.serverNone")}</p>
      )}
      <p class="fb-status" role="status">
        {problem}
      </p>
    </div>
  );
}
