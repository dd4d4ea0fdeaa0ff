#!/bin/sh
# busybox httpd runs cgi-bin/index.cgi for "/" when there is no index.html
client=${REMOTE_ADDR#"[::ffff:"}
printf 'Content-Type: text/plain\r\n\r\n'
echo "data from the api: served by container $(hostname) at $(hostname -i) for ${client%]}"
