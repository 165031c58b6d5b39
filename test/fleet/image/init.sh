#!/bin/sh
# Entrypoint of a fleet host (PID 2 under docker's --init). Mounted read-only
# at /fleet/init.sh. Reports progress through /fleet/state (a read-write bind
# mount the controller polls): `ready` when the host is usable, `error` on
# failure.
set -u
STATE=/fleet/state
rm -f "$STATE/ready" "$STATE/error"
fail() { echo "$*" > "$STATE/error"; echo "fleet init: $*" >&2; exec sleep infinity; }

# Client key for root and deploy (copied, so tests may edit the files).
for home in /root /home/deploy; do
  ak="$home/.ssh/authorized_keys"
  [ -s "$ak" ] || cp /fleet/authorized_keys "$ak"
done
chown deploy:deploy /home/deploy/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys /home/deploy/.ssh/authorized_keys

mkdir -p /run/sshd
/usr/sbin/sshd || fail "sshd failed to start"
rsyslogd || fail "rsyslogd failed to start"

if [ "${FLEET_DOCKER:-0}" = 1 ]; then
  # Docker mounts the cgroup hierarchies read-only without --privileged.
  awk '$2 ~ "^/sys/fs/cgroup" { print $2 }' /proc/mounts | while read -r m; do
    mount -o remount,bind,rw "$m" 2>/dev/null || mount -o remount,rw "$m" 2>/dev/null || true
  done
  # Through the init script, so that `service docker restart|stop|status` work.
  service docker start > /dev/null || fail "service docker start failed: $(tail -n 5 /var/log/docker.log)"
  i=0  # wait cheaply for the socket, then for the API (a docker CLI run costs ~30 ms of CPU)
  until [ -S /var/run/docker.sock ] && docker info > /dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -le 1200 ] || fail "inner dockerd did not start: $(tail -n 5 /var/log/docker.log)"
    sleep 0.1
  done
  if [ -f /fleet/app-images.tar ]; then
    docker image inspect ${FLEET_IMAGES:-runbook-app:v1} > /dev/null 2>&1 \
      || docker load -q -i /fleet/app-images.tar > /dev/null \
      || fail "docker load of the app images failed"
  fi
fi

date +%s > "$STATE/ready"
exec sleep infinity
