// What bench/portfolio_search.py loads in its page: the client's own search, and the
// loader that reads the device's rows from IndexedDB into its index.
export { findCustomers, preparePortfolio } from "../webclient/src/data/portfolio";
export { loadPortfolio } from "../webclient/src/data/queries";
export { db } from "../webclient/src/db";
