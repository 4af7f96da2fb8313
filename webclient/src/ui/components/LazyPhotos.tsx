/**
 * The photo components, fetched the first time one is shown (src/photos/, a chunk of
 * its own: compression and upload code stay out of the first load). The service
 * worker precaches the chunk, so photos can be taken offline once the app is installed.
 */
import { useEffect, useState } from "preact/hooks";

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

/** The data-layer function that keeps a new visit's photos (from the same chunk). */
export async function photoKeeper() {
  return (await (loading ?? import("../../photos/PhotoPicker"))).keepWithVisit;
}
