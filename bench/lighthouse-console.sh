#!/usr/bin/env bash
# The console's dashboard under Lighthouse: the old name of `bench/lighthouse.sh console`.
exec "$(dirname "$0")/lighthouse.sh" console "$@"
