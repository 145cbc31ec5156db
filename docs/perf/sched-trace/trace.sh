#!/usr/bin/env bash
# Records the kernel scheduler events (tracefs) while a command runs:
#   echo "sched:sched_switch sched:sched_wakeup sched:sched_wakeup_new sched:sched_migrate_task" > /sys/kernel/tracing/set_event
#   echo 1 > /sys/kernel/tracing/options/record-tgid
#   bash trace.sh OUT.txt -- bin/seqpar bench collectives ...
out=$1; shift; shift
T=/sys/kernel/tracing
echo 0 > $T/tracing_on; echo > $T/trace; echo 1 > $T/tracing_on
"$@"
echo 0 > $T/tracing_on; cp $T/trace $out
