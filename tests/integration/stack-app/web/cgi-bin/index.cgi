#!/bin/sh
# web's page: what api answered (reached by its service name on the front network)
printf 'Content-Type: text/plain\r\n\r\n'
echo "web: $(timeout 5 wget -q -O - http://api/cgi-bin/index.cgi)"
