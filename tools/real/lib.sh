# Shared by the drivers of the real workloads (tools/real/<name>/run); sourced, not run.
# docs/real-workloads.md describes the workloads; this is the contract every driver keeps:
#
#   tools/real/<name>/run [key=value ...]      sizes, whole numbers (no argument: the full size)
#
#   HK_REAL_PRELOAD   the allocator (.so) to preload into the measured program only; empty or
#                     unset: the system's malloc. The driver itself, the shell, the clients
#                     (redis-benchmark, redis-cli) and the comparisons never run on it, which
#                     is why a driver refuses to start with LD_PRELOAD set.
#   HK_RUN            hk-run (tools/native/hk-run.c), which runs the measured program and
#                     reports its wall time and peak RSS; default dist/tools/hk-run
#                     (@hakmem/tools compiles it on demand: npx hakmem bench does).
#   HK_REAL_RECORD=1  (sqlite, lua, gs) write the expected output of this size from this run
#                     instead of comparing with it; only without a preload.
#
# On success it prints one result line as the native workloads do,
#   <name> ops=<n> seconds=<s> mops=<m> maxrss_kb=<k> [k=v ...]
# where seconds is the measured program's own time, maxrss_kb its peak RSS, and ops a fixed
# work count of the size (mops = ops / seconds / 10^6: higher is faster). A failed self-check
# exits 1 with one line on stderr; a measured program killed by a signal kills the driver with
# the same signal (so the bench table says CRASHED); usage errors exit 2.

set -euo pipefail

HK_REAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HK_ROOT=$(cd "$HK_REAL_DIR/../.." && pwd)
HK_RUN=${HK_RUN:-$HK_ROOT/dist/tools/hk-run}
HK_NAME=${HK_NAME:?set HK_NAME before sourcing lib.sh}
HK_TMP=

hk_cleanup() {
    if [[ -n $HK_TMP ]]; then rm -rf "$HK_TMP"; fi
}

# Drivers with more to clean up (redis) set HK_CLEANUP to a function name.
HK_CLEANUP=
hk_on_exit() {
    if [[ -n $HK_CLEANUP ]]; then "$HK_CLEANUP" || true; fi
    hk_cleanup
}
trap hk_on_exit EXIT

hk_usage() {
    echo "$HK_NAME: $*" >&2
    exit 2
}

hk_fail() {
    echo "$HK_NAME: self-check failed: $*" >&2
    exit 1
}

if [[ -n ${LD_PRELOAD:-} ]]; then
    hk_usage "LD_PRELOAD is set ($LD_PRELOAD); pass the allocator in HK_REAL_PRELOAD instead, so that only the measured program runs on it"
fi
if [[ -n ${HK_REAL_PRELOAD:-} && ! -f $HK_REAL_PRELOAD ]]; then
    hk_usage "HK_REAL_PRELOAD=$HK_REAL_PRELOAD: no such file"
fi
if [[ ! -x $HK_RUN ]]; then
    hk_usage "hk-run not found at $HK_RUN (set HK_RUN, or let npx hakmem bench compile it into dist/tools)"
fi
HK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hakmem-$HK_NAME-XXXXXX")

# hk_args "key=default ..." "$@": sets ARG_<key> for each declared key from key=value arguments
# (whole numbers >= 1); an unknown key or a bad value is a usage error naming what is allowed.
hk_args() {
    local spec=$1 kv key value
    shift
    HK_ARGS=$*
    for kv in $spec; do printf -v "ARG_${kv%%=*}" '%s' "${kv#*=}"; done
    for kv in "$@"; do
        key=${kv%%=*}
        value=${kv#*=}
        if [[ $kv != *=* || " $spec " != *" $key="* ]]; then
            hk_usage "unknown argument '$kv'; allowed: ${spec// /, } (key=value, the defaults shown)"
        fi
        if [[ ! $value =~ ^[1-9][0-9]*$ ]]; then
            hk_usage "$key=$value: expected a whole number >= 1"
        fi
        printf -v "ARG_$key" '%s' "$value"
    done
}

# hk_need COMMAND PACKAGE: the program must be on PATH (the same words as npx hakmem bench's skip line).
hk_need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "$HK_NAME: $1 not found (Debian package $2; npm run setup installs it)" >&2
        exit 1
    fi
}

# hk_need_file FILE PACKAGE
hk_need_file() {
    if [[ ! -f $1 ]]; then
        echo "$HK_NAME: $1 not found (Debian package $2; npm run setup installs it)" >&2
        exit 1
    fi
}

# hk_measure LABEL PROGRAM [ARG...]: runs the program under hk-run with the preload (stdin,
# stdout and stderr are the caller's: redirect them around the call). Its report goes to
# $HK_TMP/LABEL.report; read it with hk_report. Returns hk-run's status (0 unless hk-run failed).
hk_measure() {
    local label=$1
    shift
    local preload=()
    if [[ -n ${HK_REAL_PRELOAD:-} ]]; then preload=(-p "$HK_REAL_PRELOAD"); fi
    "$HK_RUN" -o "$HK_TMP/$label.report" "${preload[@]}" -- "$@"
}

# hk_report LABEL WHAT [OUTPUT]: reads the report of hk_measure LABEL into REPORT_WALL and
# REPORT_RSS. When the program was killed by a signal, the driver kills itself with that signal;
# when it exited non-zero, the driver fails naming WHAT, the status and the last lines of OUTPUT.
hk_report() {
    local label=$1 what=$2 output=${3:-} file="$HK_TMP/$1.report" line
    [[ -s $file ]] || hk_fail "$what: hk-run wrote no report"
    line=$(<"$file")
    local status code signal
    status=$(hk_field "$line" status)
    code=$(hk_field "$line" code)
    signal=$(hk_field "$line" signal)
    REPORT_WALL=$(hk_field "$line" wall_s)
    REPORT_RSS=$(hk_field "$line" maxrss_kb)
    case $status in
    signaled) hk_die_by_signal "$what" "$signal" ;;
    timeout) hk_fail "$what: timed out" ;;
    exited)
        if [[ $code != 0 ]]; then
            if [[ -n $output && -s $output ]]; then hk_fail "$what exited with status $code: $(tail -n 3 "$output" | tr '\n' ' ')"; fi
            hk_fail "$what exited with status $code"
        fi
        ;;
    *) hk_fail "$what: unreadable hk-run report '$line'" ;;
    esac
}

# hk_field "k=v k=v ..." KEY: the value of KEY.
hk_field() {
    local kv
    for kv in $1; do
        if [[ ${kv%%=*} == "$2" ]]; then
            echo "${kv#*=}"
            return
        fi
    done
    echo ""
}

# The measured program was killed by signal $2: say so, clean up, and end the driver by the same
# signal so that whoever runs the driver sees a crash, not a failure.
hk_die_by_signal() {
    echo "$HK_NAME: $1 was killed by signal $2 ($(kill -l "$2" 2>/dev/null || echo '?'))" >&2
    hk_on_exit
    trap - EXIT
    trap - "$2" 2>/dev/null || true
    kill -s "$2" $$
    exit 128 # a signal bash could not die of (it ignores none of the fatal ones, but be safe)
}

# hk_expect FILE ACTUAL: the self-check against a committed expected output. With
# HK_REAL_RECORD=1 (and no preload) the actual output becomes the expected one instead.
hk_expect() {
    local expected=$1 actual=$2
    if [[ ${HK_REAL_RECORD:-} == 1 ]]; then
        [[ -z ${HK_REAL_PRELOAD:-} ]] || hk_usage "HK_REAL_RECORD=1 records under the system's malloc only: unset HK_REAL_PRELOAD"
        cp "$actual" "$expected"
        echo "$HK_NAME: recorded ${expected#"$HK_ROOT"/}" >&2
        return
    fi
    if [[ ! -f $expected ]]; then
        hk_fail "no expected output ${expected#"$HK_ROOT"/} for this size; record one under the system's malloc with: HK_REAL_RECORD=1 tools/real/$HK_NAME/run $HK_ARGS"
    fi
    if ! cmp -s "$expected" "$actual"; then
        hk_fail "output differs from ${expected#"$HK_ROOT"/}: $(diff "$expected" "$actual" | sed -n '2,4p' | tr '\n' ' ')"
    fi
}

# hk_result OPS SECONDS [k=v ...]: the result line; mops with at least six significant digits.
hk_result() {
    local ops=$1 seconds=$2
    shift 2
    awk -v name="$HK_NAME" -v ops="$ops" -v s="$seconds" -v extra="$*" 'BEGIN {
        if (s <= 0) { print name ": measured time " s " is not positive" > "/dev/stderr"; exit 1 }
        m = ops / s / 1e6; e = log(m) / log(10); f = int(e); if (f > e) f--
        d = 5 - f; if (d < 2) d = 2; if (d > 15) d = 15
        printf("%s ops=%d seconds=%.4f mops=%." d "f%s\n", name, ops, s, m, extra == "" ? "" : " " extra)
    }'
}
