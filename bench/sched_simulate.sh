#!/bin/bash
# Scheduler benchmark (issue 6): whole-process wall time and peak memory of
# `tandem simulate -x F -R` against `crm_simulate -x F -R` on the same CIB
# from ../shared/bench/gen_cib.py, median of ROUNDS runs each, alternating;
# and whether the two Transition Summaries are identical.
# Usage: bench/sched_simulate.sh TANDEM [ROUNDS]   (prints a Markdown table)
set -euo pipefail
tandem=$1 rounds=${2:-3}
gen=$(dirname "$0")/../../shared/bench/gen_cib.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run PROG... : prints "seconds max_rss_kib" of one run
run() {
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$work/out" 2>/dev/null
    cat "$work/time"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

summary() { awk '/^Transition Summary:/{t=1;next} t&&/^$/{exit} t{print}' "$1"; }

echo "| CIB | tandem s | crm_simulate s | speed-up | tandem MiB | crm_simulate MiB | summaries identical |"
echo "|---|---|---|---|---|---|---|"
for spec in "$@"; do :; done
for spec in ${SPECS:-1000x16 4000x32 500x16 1000x16 2000x16 4000x16 8000x16}; do
    r=${spec%x*} n=${spec#*x}
    python3 "$gen" "$r" "$n" > "$work/cib.xml"
    : > "$work/t" ; : > "$work/c"
    for ((i = 0; i < rounds; i++)); do
        run "$tandem" simulate -x "$work/cib.xml" -R >> "$work/t"
        cp "$work/out" "$work/t.out"
        run crm_simulate -x "$work/cib.xml" -R >> "$work/c"
        cp "$work/out" "$work/c.out"
    done
    ts=$(cut -d' ' -f1 "$work/t" | median) cs=$(cut -d' ' -f1 "$work/c" | median)
    tm=$(cut -d' ' -f2 "$work/t" | median) cm=$(cut -d' ' -f2 "$work/c" | median)
    same=no
    cmp -s <(summary "$work/t.out") <(summary "$work/c.out") && same="yes ($(summary "$work/t.out" | grep -c Migrate) Migrate)"
    printf '| %s | %s | %s | %.1fx | %d | %d | %s |\n' "$spec" "$ts" "$cs" "$(echo "$cs / $ts" | bc -l)" \
        $((tm / 1024)) $((cm / 1024)) "$same"
done
