#!/bin/sh
# The page: a fixed part, then what the back end answered at $API_URL (HTML-escaped).
answer=$(timeout 5 wget -q -O - "$API_URL" 2>&1) || answer="no answer from $API_URL: $answer"
escaped=$(printf '%s\n' "$answer" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')
printf 'Content-Type: text/html\r\n\r\n'
cat <<PAGE
<h1>hello from strata.containers</h1>
<p>Served by the web container, which asked the api container by name at $API_URL:</p>
<pre>$escaped</pre>
PAGE
