#!/bin/sh
# Installs Debian's slurm-wlm and munge for the cluster test (make test-deps
# calls it with the ones that are missing). Two steps of their maintainer
# scripts fail where a system user may not run a shell, as in containers:
# munge's postinst creates /etc/munge/munge.key with `su munge -s /bin/sh`,
# and the packages start their daemons. So a key made here first is kept
# (postinst then only sets its owner), and no daemon is started during the
# install (a policy-rc.d that refuses, removed afterwards): the test starts
# daemons of its own, with a key of its own (tests/slurm/cluster.sh).
#
# Where the install fails all the same, the packages are removed again, so
# that no half-configured package blocks later installs, and the status is 1:
# the cluster test then skips and says why.
set -u
[ $# -gt 0 ] || exit 0
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# during the install of slurm-wlm and munge (tests/slurm/install.sh)\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
fi
if [ ! -e /etc/munge/munge.key ]; then
  mkdir -p /etc/munge && head -c 1024 /dev/urandom >/etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/tmp/ionstack-slurm-install.log 2>&1
status=$?
[ -n "$made_policy" ] && rm -f "$policy"
if [ "$status" -ne 0 ]; then
  echo "warning: installing $* failed (the cluster test will be skipped):" >&2
  grep -E '^(E:|dpkg: error|.*failed)' /tmp/ionstack-slurm-install.log | head -5 >&2
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$@" munge slurm-client slurmctld slurmd >/dev/null 2>&1
  exit 1
fi
exit 0
