#!/usr/bin/env bash
# `fieldbook churn evaluate` on a public labelled telecom churn extract from a package
# registry: the "mlc_churn" data (5,000 customers of a US telecom, 19 columns and
# churn yes/no, from the MLC++ repository) shipped in Debian's r-cran-modeldata.
# Installs R and that package with apt (about 100 MB), exports the CSV, evaluates.
#
#   bench/churn_public.sh            # English
#   bench/churn_public.sh --language zh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! Rscript -e 'library(modeldata)' >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq r-base-core r-cran-modeldata >/dev/null
fi
csv=${TMPDIR:-/tmp}/mlc_churn.csv
Rscript -e "data(mlc_churn, package='modeldata'); write.csv(mlc_churn, '$csv', row.names=FALSE)"
FIELDBOOK_ENV=${FIELDBOOK_ENV:-development} .venv/bin/fieldbook churn evaluate "$csv" --target churn "$@"
