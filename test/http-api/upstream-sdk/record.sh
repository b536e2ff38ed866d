#!/bin/sh
# Rebuilds upstream's JavaScript SDK (sdk/js of The Things Stack, the version below) and records the exact HTTP
# requests it sends into requests.json, which upstream-sdk.test.ts replays against this server. Needs the bare
# mirror of lorawan-stack and the npm registry; CI does not run this (the SDK is not an npm package of that version).
#   test/http-api/upstream-sdk/record.sh [/path/to/lorawan-stack.git]
set -eu
MIRROR=${1:-/work/.mirror/TheThingsNetwork+lorawan-stack/repo}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git -C "$MIRROR" archive HEAD sdk/js | tar -x -C "$WORK"
cd "$WORK/sdk/js"
# Versions from the SDK's yarn.lock and upstream's root package.json.
echo '{"private":true}' > package.json
npm install --silent --no-audit --no-fund --ignore-scripts axios@1.7.7 auto-bind@5.0.1 traverse@0.6.10 lodash@4.17.21 \
  query-string@9.1.0 arraybuffer-to-string@1.0.2 web-streams-polyfill@4.0.0 esbuild@0.28.2
# The SDK is written for webpack's resolver, which finds this file without its extension.
sed -i "s#web-streams-polyfill/dist/polyfill'#web-streams-polyfill/dist/polyfill.js'#" src/api/stream/subscribeToHttpStream.js
npx esbuild src/index.js --bundle --platform=node --format=cjs --loader:.js=jsx --log-level=warning --outfile="$WORK/ttn-lw.cjs"
VERSION=$(git -C "$MIRROR" describe --tags HEAD)
node "$HERE/record.cjs" "$WORK/ttn-lw.cjs" "$VERSION" > "$HERE/requests.json"
echo "recorded $HERE/requests.json from $VERSION"
