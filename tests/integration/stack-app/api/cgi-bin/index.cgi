#!/bin/sh
# api's answer: its greeting and db's first-start stamp, fetched from db by service name
# (timeout, not wget -T: busybox-static 1.35's wget -T crashes)
printf 'Content-Type: text/plain\r\n\r\n'
echo "api $(hostname) says $GREETING; db $(timeout 5 wget -q -O - http://db:5432/)"
