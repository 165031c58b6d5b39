#!/bin/sh
# Runs inside the host image's chroot at the end of mmdebstrap (customize hook).
# Static configuration only; per-container setup lives in init.sh.
set -eu

# Accounts: root and a sudo user, key-only (passwords locked with '*', which
# sshd with UsePAM=no still accepts for public-key logins, unlike '!').
useradd --create-home --shell /bin/bash deploy
usermod -p '*' root
usermod -p '*' deploy
echo 'deploy ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/deploy
chmod 0440 /etc/sudoers.d/deploy
install -d -m 0700 /root/.ssh
install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh

# sshd: host key comes from a read-only mount; stock limits (MaxSessions,
# MaxStartups) on purpose. The first value obtained wins, and Debian's
# sshd_config includes sshd_config.d/*.conf at its top.
rm -f /etc/ssh/ssh_host_*
cat > /etc/ssh/sshd_config.d/fleet.conf <<'CONF'
HostKey /etc/ssh/fleet/ssh_host_ed25519_key
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
PrintLastLog no
CONF
: > /etc/motd

# rsyslog: no kernel log in a container.
sed -i 's/^module(load="imklog"/#&/' /etc/rsyslog.conf

# Inner Docker engine: addresses away from the outer engine's defaults.
mkdir -p /etc/docker
cat > /etc/docker/daemon.json <<'CONF'
{
  "bip": "10.213.0.1/24",
  "default-address-pools": [{ "base": "10.214.0.0/16", "size": 24 }],
  "log-level": "warn",
  "storage-driver": "overlay2"
}
CONF

# Its init script raises resource limits, which fails without CAP_SYS_RESOURCE
# and aborts `service docker start` (set -e): keep the current limits.
sed -i -E 's/^(\s*)(ulimit -[nup] \S+)$/\1\2 2>\/dev\/null || true/' /etc/init.d/docker
test "$(grep -c 'ulimit -[nup] .* || true$' /etc/init.d/docker)" = 3

# Its cgroupfs_mount() mounts every cgroup v1 controller the container lacks
# (net_cls, perf_event, hugetlb, ...). That creates new hierarchies for the
# whole machine, which the outer containerd cannot find mounted: `docker stats`
# and other cgroup lookups then fail for every container. Use the container's
# mounts as they are.
sed -i 's/^cgroupfs_mount() {$/&\n\treturn 0  # fleet host: keep the cgroup mounts docker gave us/' /etc/init.d/docker
grep -q 'return 0  # fleet host' /etc/init.d/docker

# rsyslog ships only a systemd unit; give `service rsyslog ...` an init script.
cat > /etc/init.d/rsyslog <<'SCRIPT'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          rsyslog
# Required-Start:    $remote_fs $time
# Required-Stop:     umountnfs $time
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: enhanced syslogd
### END INIT INFO
PIDFILE=/run/rsyslogd.pid
DAEMON=/usr/sbin/rsyslogd
case "$1" in
  start) start-stop-daemon --start --quiet --oknodo --pidfile $PIDFILE --exec $DAEMON ;;
  stop) start-stop-daemon --stop --quiet --oknodo --retry 5 --pidfile $PIDFILE --exec $DAEMON && rm -f $PIDFILE ;;
  restart|force-reload) $0 stop && $0 start ;;
  reload|rotate) start-stop-daemon --stop --signal HUP --quiet --oknodo --pidfile $PIDFILE --exec $DAEMON ;;
  status)
    if start-stop-daemon --status --pidfile $PIDFILE --exec $DAEMON; then echo "rsyslogd is running."; else echo "rsyslogd is not running."; exit 3; fi ;;
  *) echo "Usage: /etc/init.d/rsyslog {start|stop|restart|reload|force-reload|rotate|status}" >&2; exit 2 ;;
esac
SCRIPT
chmod 0755 /etc/init.d/rsyslog

# Keep non-interactive shells cheap: nothing heavy in bashrc.
mkdir -p /fleet /etc/ssh/fleet
rm -f /var/cache/apt/archives/*.deb
