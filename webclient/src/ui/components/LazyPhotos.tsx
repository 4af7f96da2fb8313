/**
 * The photo components, fetched the first time one is shown (src/photos/, a chunk of
 * its own: compression and upload code stay out of the first load). The service
 * worker precaches the chunk, so photos can be taken offline once the app is installed.
 */
import { useEffect, useState } from "preact/hooks";
import { logVisit } from "../../data";
import type { Compressed } from "../../data/photos";
import type { LogVisitInput } from "../../mutations";

type PhotosModule = typeof import("../../photos/PhotoPicker");

let loading: Promise<PhotosModule> | null = null;
let loaded: PhotosModule | null = null;

function usePhotosModule(): PhotosModule | null {
  const [module, setModule] = useState<PhotosModule | null>(loaded);
  useEffect(() => {
    if (loaded) return;
    let current = true;
    loading ??= import("../../photos/PhotoPicker");
    loading.then(
      (m) => {
        loaded = m;
        if (current) setModule(m);
      },
      () => (loading = null), // offline before the chunk was cached: no photos this time
    );
    return () => {
      current = false;
    };
  }, []);
  return module;
}

type Props<C> = C extends (props: infer P) => unknown ? P : never;

export function LazyPhotoPicker(props: Props<PhotosModule["PhotoPicker"]>) {
  const module = usePhotosModule();
  return module ? <module.PhotoPicker {...props} /> : null;
}

export function LazyVisitPhotos(props: Props<PhotosModule["VisitPhotos"]>) {
  const module = usePhotosModule();
  return module ? <module.VisitPhotos {...props} /> : null;
}

/**
 * How the visit form logs its visit: `logVisit` itself without photos; with photos,
 * `logVisit` keeping them in the visit's own transaction (`keepWithVisit`, from the
 * photo chunk, loaded before the transaction starts: nothing else may be awaited in it).
 */
export async function visitLogger(
  photos: Compressed[],
  customerId: string,
): Promise<(input: LogVisitInput) => Promise<string>> {
  if (photos.length === 0) return logVisit;
  const { keepWithVisit } = await (loading ?? import("../../photos/PhotoPicker"));
  return (input) => logVisit(input, keepWithVisit(photos, customerId));
}
