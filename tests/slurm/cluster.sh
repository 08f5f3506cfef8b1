#!/usr/bin/env bash
# A private single-node SLURM cluster in one directory, for the cluster test
# (tests/test_slurm.sh) and for trying the templates of configs/slurm/ by hand.
#
#   tests/slurm/cluster.sh start DIR   write DIR/etc/{slurm.conf,cgroup.conf} and a
#                                      munge key, start munged, slurmctld and
#                                      `slurmd -N localhost`, wait for the node
#                                      to be idle; prints `export SLURM_CONF=...`
#   tests/slurm/cluster.sh stop DIR    cancel the cluster's jobs and stop the three
#                                      daemons by the PIDs recorded at start
#   tests/slurm/cluster.sh logs DIR    print the daemons' logs
#
# A test sources this file instead (`. tests/slurm/cluster.sh`) and calls
# cluster_start DIR, cluster_stop and cluster_logs, so that the daemons are its
# own children: it reaps them when they stop, and the timeout of tests/run.sh,
# which signals the test's whole process group, stops them too.
#
# Everything lives under DIR: the munge key and socket, the controller's state,
# the node's spool, pid and log files; the TCP ports are chosen free at start,
# so several clusters (two test passes, two checkouts) can run side by side, and
# none touches the machine's own /etc/slurm, /etc/munge or /run/munge. Client
# commands (sbatch, squeue, scontrol, srun) find the cluster through
# SLURM_CONF=DIR/etc/slurm.conf; jobs inherit it.
#
# It needs root (slurmd starts job steps as their user) and Debian's slurm-wlm
# and munge. The daemons run in the foreground (-D, -F), so the PIDs recorded
# are theirs. It does not configure accounting (no slurmdbd: sacct has
# nothing), cgroups (ProctrackType=proctrack/linuxproc and TaskPlugin=task/none
# need no delegated cgroup tree, as in a container) or more than one node.
#
# cluster_start returns 0 when the node is idle, 2 when a daemon did not come
# up (the logs go to standard error and whatever started is stopped again).

# every wait below is bounded by this many seconds
cluster_wait=${SLURM_TEST_WAIT:-60}

cluster_log() { echo "cluster: $*" >&2; }

# Names the cluster directory the other functions act on: sets dir and conf.
cluster_dir() {
  dir=$1
  case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
  conf=$dir/etc/slurm.conf
}

cluster_logs() {
  local f
  for f in "$dir"/log/*.log; do
    [ -s "$f" ] || continue
    echo "---- $f (last 40 lines)"
    tail -n 40 "$f"
  done
}

# A TCP port nothing listens on or connects from, in 20000..59999 (`ss` lists
# those in use), the first free one after a random start so that two clusters
# started at once are unlikely to pick the same; never one of the arguments.
cluster_free_port() {
  local used p
  used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
  p=$((20000 + RANDOM % 40000))
  while grep -qx "$p" <<<"$used" || [[ " $* " == *" $p "* ]]; do p=$((p + 1)); done
  echo "$p"
}

# Is PID alive and the daemon this cluster started? Its command line names this
# cluster's directory; a recycled PID, or a zombie, has another or none.
cluster_ours() {
  local pid=$1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/"
}

cluster_pid() { cat "$dir/run/$1.pid" 2>/dev/null; }

# Stops the daemon whose PID DIR/run/NAME.pid holds: SIGTERM, then SIGKILL if it
# is still there after 20 s. A daemon that is our child is reaped.
cluster_stop_daemon() {
  local name=$1 pid i
  pid=$(cluster_pid "$name")
  if cluster_ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 200; i++)); do
      cluster_ours "$pid" || break
      sleep 0.1
    done
    if cluster_ours "$pid"; then
      cluster_log "$name (pid $pid) still running 20 s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  [ -n "$pid" ] && wait "$pid" 2>/dev/null
  rm -f "$dir/run/$name.pid"
}

cluster_stop() {
  local end
  [ -n "$dir" ] || return 0
  if [ -e "$conf" ] && cluster_ours "$(cluster_pid slurmctld)" && cluster_ours "$(cluster_pid slurmd)"; then
    # the jobs' processes belong to slurmd's step daemons: let slurmd end them before it goes
    SLURM_CONF=$conf scancel --quiet --full --user="$(id -un)" 2>/dev/null
    end=$((SECONDS + cluster_wait))
    while ((SECONDS < end)); do
      SLURM_CONF=$conf timeout 10 squeue -h -t running,pending,completing,configuring,suspended -o %i 2>/dev/null | grep -q . || break
      sleep 0.1
    done
  fi
  cluster_stop_daemon slurmd
  cluster_stop_daemon slurmctld
  cluster_stop_daemon munged
  if [ -s "$dir/run/cgroup.mount" ]; then
    umount "$(cat "$dir/run/cgroup.mount")" 2>/dev/null && rm -f "$dir/run/cgroup.mount"
  fi
}

# Starts a daemon in the foreground, in the background, and records its PID.
cluster_spawn() {
  local name=$1
  shift
  "$@" >>"$dir/log/$name.log" 2>&1 &
  echo $! >"$dir/run/$name.pid"
}

cluster_fail() {
  cluster_log "$*"
  cluster_logs >&2
  cluster_stop
  return 2
}

cluster_munge_ok() {
  munge --socket="$dir/run/munge.socket" --no-input 2>/dev/null | unmunge --socket="$dir/run/munge.socket" >/dev/null 2>&1
}

cluster_start() {
  local end node ctld_port slurmd_port state="" cgroup plugin
  cluster_dir "$1"
  if [ "$(id -u)" != 0 ]; then
    cluster_log "needs root: slurmd starts the job steps as their user"
    return 2
  fi
  if [ -e "$conf" ]; then
    cluster_log "$dir already holds a cluster; stop it first"
    return 2
  fi
  # munged refuses a socket or key below a directory others may write to
  mkdir -p "$dir" && chmod 0755 "$dir" &&
    mkdir -m 0755 "$dir/etc" "$dir/run" "$dir/log" "$dir/state" "$dir/spool" &&
    mkdir -m 0700 "$dir/munge" || return 2

  mungekey --create --bits=1024 --keyfile="$dir/munge/munge.key" >"$dir/log/mungekey.log" 2>&1 ||
    { cluster_fail "mungekey failed"; return 2; }
  # --force: munged as root, in a directory of its own
  cluster_spawn munged munged --foreground --force --key-file="$dir/munge/munge.key" \
    --socket="$dir/run/munge.socket" --pid-file="$dir/run/munged.daemon.pid" \
    --seed-file="$dir/munge/munged.seed"
  end=$((SECONDS + cluster_wait))
  while ((SECONDS < end)); do
    cluster_munge_ok && break
    cluster_ours "$(cluster_pid munged)" || { cluster_fail "munged exited"; return 2; }
    sleep 0.1
  done
  cluster_munge_ok || { cluster_fail "munged does not answer on $dir/run/munge.socket after $cluster_wait s"; return 2; }

  # The node as slurmd itself measures it (CPUs, sockets, cores, RealMemory in
  # MiB): a node configured with more than it has would be drained.
  node=$(slurmd -C 2>/dev/null | head -n 1 | sed 's/^NodeName=[^ ]*//')
  [ -n "$node" ] || { cluster_fail "slurmd -C printed nothing"; return 2; }
  ctld_port=$(cluster_free_port)
  slurmd_port=$(cluster_free_port "$ctld_port")
  cat >"$conf" <<EOF
# A single-node cluster written by tests/slurm/cluster.sh; every path is
# private to $dir.
ClusterName=ionstack-test
# addresses as numbers: a minimal system (a container) may not resolve localhost
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/run/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.daemon.pid
SlurmdPidFile=$dir/run/slurmd.daemon.pid
# the daemons' own messages go to their standard error (DIR/log/NAME.log, as they
# run in the foreground); the job step daemons' to this file
SlurmdLogFile=$dir/log/slurmstepd.log
# no cgroups: processes are tracked through their parents, tasks are not bound
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# cores are what jobs consume: two one-task jobs share a two-core node
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# schedule a batch job as soon as it is submitted (the default may wait 3 s,
# batch_sched_delay) and let the main scheduler run every 0.1 s, not 2 s:
# measured here, sbatch to the end of a trivial job takes 1 s instead of 3 s
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
MpiDefault=none
# a node that was down comes back by itself when its slurmd registers
ReturnToService=2
# finished jobs stay visible to scontrol for 5 minutes
MinJobAge=300
# seconds between the SIGTERM and the SIGKILL at a time limit or scancel
KillWait=30
NodeName=localhost NodeAddr=127.0.0.1 NodeHostname=localhost $node State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  # slurmd 22.05 loads a cgroup plugin even with proctrack/linuxproc and
  # task/none, and stops where /sys/fs/cgroup holds no hierarchy (a container
  # without cgroups). Nothing here uses cgroups, so such a machine gets the
  # cgroup v1 plugin (autodetection looks at /sys/fs/cgroup only) on a small
  # private tmpfs of the cluster's own, unmounted by cluster_stop.
  cgroup=/sys/fs/cgroup plugin=autodetect
  case $(stat -f -c %T /sys/fs/cgroup 2>/dev/null) in
    cgroup2fs | tmpfs) ;;
    *)
      cgroup=$dir/cgroup plugin=cgroup/v1
      mkdir -m 0755 "$cgroup" && mount -t tmpfs -o size=1m,mode=0755 ionstack-test-cgroup "$cgroup" ||
        { cluster_fail "slurmd needs a cgroup hierarchy: /sys/fs/cgroup has none and a tmpfs could not be mounted at $cgroup"; return 2; }
      echo "$cgroup" >"$dir/run/cgroup.mount"
      ;;
  esac
  # written so that none is looked for in /etc/slurm
  cat >"$dir/etc/cgroup.conf" <<EOF
CgroupPlugin=$plugin
CgroupMountpoint=$cgroup
ConstrainCores=no
ConstrainRAMSpace=no
EOF

  # -i: ignore any saved state (there is none in a fresh directory)
  cluster_spawn slurmctld slurmctld -D -i -f "$conf"
  # every wait is bounded in time, and so is every client call in it (a
  # controller that cannot be reached makes each call wait for its timeout)
  end=$((SECONDS + cluster_wait))
  while ((SECONDS < end)); do
    SLURM_CONF=$conf timeout 10 scontrol ping 2>/dev/null | grep -q "is UP" && break
    cluster_ours "$(cluster_pid slurmctld)" || { cluster_fail "slurmctld exited"; return 2; }
    sleep 0.1
  done
  SLURM_CONF=$conf timeout 10 scontrol ping 2>/dev/null | grep -q "is UP" || { cluster_fail "slurmctld does not answer after $cluster_wait s"; return 2; }

  cluster_spawn slurmd slurmd -D -N localhost -f "$conf"
  end=$((SECONDS + cluster_wait))
  while ((SECONDS < end)); do
    state=$(SLURM_CONF=$conf timeout 10 sinfo -h -n localhost -o %T 2>/dev/null)
    [ "$state" = idle ] && break
    cluster_ours "$(cluster_pid slurmd)" || { cluster_fail "slurmd exited"; return 2; }
    sleep 0.1
  done
  [ "$state" = idle ] || { cluster_fail "node localhost is '${state:-unknown}', not idle, after $cluster_wait s"; return 2; }
  echo "export SLURM_CONF=$conf"
}

# run as a script rather than sourced
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  if [ $# -ne 2 ]; then
    echo "usage: $0 start|stop|logs DIR" >&2
    exit 2
  fi
  cluster_dir "$2"
  case $1 in
    start) cluster_start "$2" ;;
    stop) cluster_stop ;;
    logs) cluster_logs ;;
    *)
      echo "usage: $0 start|stop|logs DIR" >&2
      exit 2
      ;;
  esac
fi
