import { common } from "./common";

/** Every area's messages; a screen's area file is added here once. */
export const catalogues: { en: Record<string, string>; zh: Record<string, string> }[] = [common];
