#!/bin/sh
# Prints the bench app's settings; installed by the bench workload.
set -eu
cat /srv/bench/conf/app.conf
