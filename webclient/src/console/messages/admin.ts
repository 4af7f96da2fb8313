export const consoleAdmin = { en: {}, zh: {} };
