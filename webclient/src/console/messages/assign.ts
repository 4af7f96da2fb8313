export const consoleAssign = { en: {}, zh: {} };
