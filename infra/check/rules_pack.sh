#!/usr/bin/env bash
# The example rule pack of infra/k8s/base/rules loads in the sandbox and fires: it is copied
# into the layout the ConfigMap mount gives (DIR/rules/team_rules.lua) and run by
# `sic analyze --scripts DIR` over a generated example, once as shipped (no rule error) and
# once with its budget lowered (its finding must appear).
#   infra/check/rules_pack.sh SIC WORKDIR
set -euo pipefail
sic=${1:?usage: rules_pack.sh SIC WORKDIR}
work=${2:?usage: rules_pack.sh SIC WORKDIR}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work/pack/rules"
cp "$here/../k8s/base/rules/team_rules.lua" "$work/pack/rules/"
"$sic" example "$work/example.log" >/dev/null
count() { # findings of rule $1 and rule errors in the JSON report on stdin
  python3 -c 'import json,sys
f = json.load(sys.stdin)["applications"][0]["findings"]
print(sum(1 for x in f["findings"] if x["id"] == sys.argv[1]), f["errors"])' "$1"
}
read -r fired errors < <("$sic" analyze "$work/example.log" --scripts "$work/pack" --format json | count team.task_budget)
[ "$errors" = 0 ] || { echo "FAIL: the shipped pack raised $errors rule errors"; exit 1; }
echo "ok    shipped pack loads ($fired findings at the shipped budget)"
read -r fired errors < <("$sic" analyze "$work/example.log" --scripts "$work/pack" --format json \
  --set rule.team.task_budget.max_median_ms=100 | count team.task_budget)
[ "$fired" -gt 0 ] && [ "$errors" = 0 ] || { echo "FAIL: team.task_budget did not fire at a 100 ms budget"; exit 1; }
echo "ok    team.task_budget fires at a 100 ms budget ($fired findings)"
echo "2 passed, 0 failed"
